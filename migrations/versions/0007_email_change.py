"""when a user last asked to change their email address (the confirmations are throttled)

Revision ID: 0007_email_change
Revises: 0006_search_text
Create Date: 2026-12-07 19:50:00

"""
from alembic import op
import sqlalchemy as sa
import brokerage.timeutil


revision = '0007_email_change'
down_revision = '0006_search_text'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_change_sent_at', brokerage.timeutil.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('email_change_sent_at')
