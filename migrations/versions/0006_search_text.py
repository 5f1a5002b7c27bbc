"""participants' profiles and opportunities folded for the marketplace search

Revision ID: 0006_search_text
Revises: 0005_arranged_requests
Create Date: 2026-12-07 19:30:00

"""
from types import SimpleNamespace

from alembic import op
import sqlalchemy as sa

from brokerage.events.search_text import searchable


revision = '0006_search_text'
down_revision = '0005_arranged_requests'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))
    bind = op.get_bind()
    opportunities = {}
    for row in bind.execute(sa.text("SELECT participant_id, title, description, keywords FROM opportunity ORDER BY id")):
        opportunities.setdefault(row.participant_id, []).append(SimpleNamespace(
            title=row.title, description=row.description, keywords=row.keywords))
    rows = [{"id": row.id, "text": searchable(row.organisation, row.description, opportunities.get(row.id, []))}
            for row in bind.execute(sa.text("SELECT id, organisation, description FROM participant"))]
    if rows:
        bind.execute(sa.text("UPDATE participant SET search_text = :text WHERE id = :id"), rows)


def downgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('search_text')

