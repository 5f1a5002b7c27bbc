"""events start as drafts, opened by their organisers

Revision ID: 0011_event_drafts
Revises: 0010_may_create_events
Create Date: 2026-12-07 23:40:00

"""
from alembic import op
import sqlalchemy as sa
import brokerage.timeutil


revision = '0011_event_drafts'
down_revision = '0010_may_create_events'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', brokerage.timeutil.UTCDateTime(), nullable=True))
    op.execute("UPDATE event SET opened_at = created_at")  # events so far were listed and open from the start


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('opened_at')
