"""what a meeting's last announcement said; one active run per event

Revision ID: 0002_announced_details
Revises: 0001_initial
Create Date: 2026-11-29 00:00:00

"""
from alembic import op
import sqlalchemy as sa
import brokerage.timeutil


revision = '0002_announced_details'
down_revision = '0001_initial'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade():
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_end', brokerage.timeutil.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('published_link', sa.Text(), nullable=True))
    # Older duplicates of an event's active run (the race this index closes) would block it: end them.
    op.execute("UPDATE schedule_run SET status = 'failed', error = 'another run of this event was active' "
               "WHERE status IN ('queued', 'running') AND id NOT IN (SELECT MAX(id) FROM schedule_run "
               "WHERE status IN ('queued', 'running') GROUP BY event_id)")
    op.create_index('uq_schedule_run_active_event', 'schedule_run', ['event_id'], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)


def downgrade():
    op.drop_index('uq_schedule_run_active_event', table_name='schedule_run')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('published_link')
        batch_op.drop_column('published_end')
