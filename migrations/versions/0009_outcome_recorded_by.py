"""an outcome names the organiser who recorded it for a participant

Revision ID: 0009_outcome_recorded_by
Revises: 0008_address_mails
Create Date: 2026-12-07 22:10:00

"""
import warnings

from alembic import op
import sqlalchemy as sa


revision = '0009_outcome_recorded_by'
down_revision = '0008_address_mails'
branch_labels = None
depends_on = None


def upgrade():
    # SQLite's batch mode rebuilds the table and reflects those it refers to; meeting_request's expression
    # index cannot be reflected, and need not be: that table is not rebuilt.
    with warnings.catch_warnings(), op.batch_alter_table('meeting_outcome', schema=None) as batch_op:
        warnings.filterwarnings('ignore', message='Skipped unsupported reflection of expression-based index')
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_meeting_outcome_recorded_by_id_user', 'user', ['recorded_by_id'], ['id'])


def downgrade():
    with warnings.catch_warnings(), op.batch_alter_table('meeting_outcome', schema=None) as batch_op:
        warnings.filterwarnings('ignore', message='Skipped unsupported reflection of expression-based index')
        batch_op.drop_constraint('fk_meeting_outcome_recorded_by_id_user', type_='foreignkey')
        batch_op.drop_column('recorded_by_id')
