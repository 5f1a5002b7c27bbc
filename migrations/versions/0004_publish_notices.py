"""publishing mails as durable notices sent in the background

Revision ID: 0004_publish_notices
Revises: 0003_open_request_pair
Create Date: 2026-11-29 02:45:00

"""
from alembic import op
import sqlalchemy as sa
import brokerage.timeutil


revision = '0004_publish_notices'
down_revision = '0003_open_request_pair'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('publish_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('first_time', sa.Boolean(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', brokerage.timeutil.UTCDateTime(), nullable=False),
    sa.Column('sent_at', brokerage.timeutil.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_publish_notice_event_id_event')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_publish_notice_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publish_notice'))
    )


def downgrade():
    op.drop_table('publish_notice')
