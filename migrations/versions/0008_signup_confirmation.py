"""sign-ups wait for their address to be confirmed; their mails are throttled

Revision ID: 0008_signup_confirmation
Revises: 0007_email_change
Create Date: 2026-12-07 21:40:00

"""
from alembic import op
import sqlalchemy as sa
import brokerage.timeutil


revision = '0008_signup_confirmation'
down_revision = '0007_email_change'
branch_labels = None
depends_on = None


def upgrade():
    # Accounts made before this revision count as confirmed: they were usable, and stay so.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awaiting_confirmation', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('signup_mail_sent_at', brokerage.timeutil.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('signup_mail_sent_at')
        batch_op.drop_column('awaiting_confirmation')
