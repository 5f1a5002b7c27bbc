"""one open meeting request per pair of participants

Revision ID: 0003_open_request_pair
Revises: 0002_announced_details
Create Date: 2026-11-29 02:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003_open_request_pair'
down_revision = '0002_announced_details'
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('pending', 'accepted')")
# Of two open requests between the same two people (the race the index closes) the accepted one
# stays, or else the earlier one.
LATER_DUPLICATE = (
    "SELECT r.id FROM meeting_request r WHERE r.status IN ('pending', 'accepted') AND EXISTS ("
    "SELECT 1 FROM meeting_request o WHERE o.id <> r.id AND o.event_id = r.event_id "
    "AND ((o.status = 'accepted' AND r.status = 'pending') OR (o.status = r.status AND o.id < r.id)) "
    "AND ((o.requester_id = r.requester_id AND o.recipient_id = r.recipient_id) "
    "OR (o.requester_id = r.recipient_id AND o.recipient_id = r.requester_id)))")


def upgrade():
    # Existing duplicates would block the index: close them (both statements pick the same rows, as
    # the first changes only meetings).
    op.execute(f"UPDATE meeting SET cancelled = true WHERE request_id IN ({LATER_DUPLICATE})")
    op.execute(f"UPDATE meeting_request SET status = 'cancelled' WHERE id IN ({LATER_DUPLICATE})")
    op.create_index('uq_meeting_request_open_pair', 'meeting_request', [
        'event_id',
        sa.text('(CASE WHEN requester_id < recipient_id THEN requester_id ELSE recipient_id END)'),
        sa.text('(CASE WHEN requester_id < recipient_id THEN recipient_id ELSE requester_id END)'),
    ], unique=True, sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade():
    op.drop_index('uq_meeting_request_open_pair', table_name='meeting_request')
