"""Every model, imported in one place so Alembic and create_app see the whole schema."""
from brokerage.accounts.models import User  # noqa: F401
from brokerage.events.models import Availability, Event, EventOrganiser, MeetingWindow, Opportunity, Participant, Slot  # noqa: F401
from brokerage.meetings.models import Meeting, MeetingOutcome, MeetingRequest, RequestMessage  # noqa: F401
from brokerage.organiser.announcements import Announcement, AnnouncementMail  # noqa: F401
from brokerage.scheduling.models import PublishNotice, ReminderLog, ScheduleRun  # noqa: F401

# Indexes on expressions: Alembic reflects them on PostgreSQL but compares their SQL text, which the
# database rewrites, so autogenerate would drop and re-create them on every run. Migrations own them.
EXPRESSION_INDEXES = frozenset({"uq_meeting_request_open_pair"})


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)
