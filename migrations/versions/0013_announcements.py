"""organisers' mails to a group of participants, one row per recipient

Revision ID: 0013_announcements
Revises: 0012_request_messages
Create Date: 2026-12-08 00:45:00

"""
from alembic import op
import sqlalchemy as sa
import brokerage.timeutil


revision = '0013_announcements'
down_revision = '0012_request_messages'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('announcement',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('event_id', sa.Integer(), nullable=False),
                    sa.Column('author_id', sa.Integer(), nullable=True),
                    sa.Column('audience', sa.String(length=32), nullable=False),
                    sa.Column('office', sa.String(length=200), nullable=False),
                    sa.Column('subject', sa.String(length=150), nullable=False),
                    sa.Column('body', sa.Text(), nullable=False),
                    sa.Column('created_at', brokerage.timeutil.UTCDateTime(), nullable=False),
                    sa.Column('token', sa.String(length=32), nullable=False),
                    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_announcement_author_id_user'),
                                            ondelete='SET NULL'),
                    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_announcement_event_id_event')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement')),
                    sa.UniqueConstraint('token', name=op.f('uq_announcement_token')))
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_event_id'), ['event_id'], unique=False)
    op.create_table('announcement_mail',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('announcement_id', sa.Integer(), nullable=False),
                    sa.Column('participant_id', sa.Integer(), nullable=False),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('error', sa.Text(), nullable=False),
                    sa.Column('sent_at', brokerage.timeutil.UTCDateTime(), nullable=True),
                    sa.ForeignKeyConstraint(['announcement_id'], ['announcement.id'],
                                            name=op.f('fk_announcement_mail_announcement_id_announcement'),
                                            ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'],
                                            name=op.f('fk_announcement_mail_participant_id_participant'),
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement_mail')),
                    sa.UniqueConstraint('announcement_id', 'participant_id',
                                        name=op.f('uq_announcement_mail_announcement_id')))


def downgrade():
    op.drop_table('announcement_mail')
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_event_id'))
    op.drop_table('announcement')
