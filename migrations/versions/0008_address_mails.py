"""when a sign-up or a password reset last mailed an address (one mail per window)

Revision ID: 0008_address_mails
Revises: 0007_email_change
Create Date: 2026-12-07 21:40:00

"""
from alembic import op
import sqlalchemy as sa
import brokerage.timeutil


revision = '0008_address_mails'
down_revision = '0007_email_change'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('address_mail',
                    sa.Column('email', sa.String(length=254), nullable=False),
                    sa.Column('kind', sa.String(length=16), nullable=False),
                    sa.Column('sent_at', brokerage.timeutil.UTCDateTime(), nullable=False),
                    sa.PrimaryKeyConstraint('email', 'kind', name=op.f('pk_address_mail')))
    with op.batch_alter_table('address_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_address_mail_sent_at'), ['sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('address_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_address_mail_sent_at'))
    op.drop_table('address_mail')
