"""creating events is a right the administrator grants

Revision ID: 0010_may_create_events
Revises: 0009_outcome_recorded_by
Create Date: 2026-12-07 22:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_may_create_events'
down_revision = '0009_outcome_recorded_by'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('may_create_events', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Whoever created an event or organises one keeps the right they had.
    op.execute("UPDATE \"user\" SET may_create_events = true WHERE id IN (SELECT created_by_id FROM event) "
               "OR id IN (SELECT user_id FROM event_organiser WHERE role = 'organiser')")


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('may_create_events')
