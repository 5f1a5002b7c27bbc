"""meeting requests an organiser arranged

Revision ID: 0005_arranged_requests
Revises: 0004_publish_notices
Create Date: 2026-12-07 10:30:00

"""
import warnings
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = '0005_arranged_requests'
down_revision = '0004_publish_notices'
branch_labels = None
depends_on = None


OPEN = sa.text("status IN ('pending', 'accepted')")


def upgrade():
    with _quiet(), op.batch_alter_table('meeting_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arranged_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_meeting_request_arranged_by_id_user', 'user', ['arranged_by_id'], ['id'],
                                    ondelete='SET NULL')
    _keep_open_pair_index()


def downgrade():
    with _quiet(), op.batch_alter_table('meeting_request', schema=None) as batch_op:
        batch_op.drop_constraint('fk_meeting_request_arranged_by_id_user', type_='foreignkey')
        batch_op.drop_column('arranged_by_id')
    _keep_open_pair_index()


@contextmanager
def _quiet():
    """SQLAlchemy warns that it cannot reflect the expression index; _keep_open_pair_index builds it again."""
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='Skipped unsupported reflection of expression-based index')
        yield


def _keep_open_pair_index():
    """SQLite's batch mode copies the table and cannot carry over 0003's expression index: build it again."""
    if op.get_bind().dialect.name == 'sqlite':
        op.create_index('uq_meeting_request_open_pair', 'meeting_request', [
            'event_id',
            sa.text('(CASE WHEN requester_id < recipient_id THEN requester_id ELSE recipient_id END)'),
            sa.text('(CASE WHEN requester_id < recipient_id THEN recipient_id ELSE requester_id END)'),
        ], unique=True, sqlite_where=OPEN)
