"""messages between the two sides of a meeting request

Revision ID: 0012_request_messages
Revises: 0011_event_drafts
Create Date: 2026-12-08 00:30:00

"""
from alembic import op
import sqlalchemy as sa
import brokerage.timeutil


revision = '0012_request_messages'
down_revision = '0011_event_drafts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('request_message',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('request_id', sa.Integer(), nullable=False),
                    sa.Column('author_id', sa.Integer(), nullable=False),
                    sa.Column('body', sa.Text(), nullable=False),
                    sa.Column('created_at', brokerage.timeutil.UTCDateTime(), nullable=False),
                    sa.Column('read_at', brokerage.timeutil.UTCDateTime(), nullable=True),
                    sa.ForeignKeyConstraint(['author_id'], ['participant.id'],
                                            name=op.f('fk_request_message_author_id_participant'), ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['request_id'], ['meeting_request.id'],
                                            name=op.f('fk_request_message_request_id_meeting_request'),
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_message')))
    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_message_request_id'), ['request_id'], unique=False)


def downgrade():
    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_message_request_id'))
    op.drop_table('request_message')
