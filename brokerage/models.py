"""Every model, imported in one place so Alembic and create_app see the whole schema."""
from brokerage.accounts.models import User  # noqa: F401
from brokerage.events.models import Availability, Event, EventOrganiser, MeetingWindow, Opportunity, Participant, Slot  # noqa: F401
from brokerage.meetings.models import Meeting, MeetingOutcome, MeetingRequest  # noqa: F401
from brokerage.scheduling.models import ReminderLog, ScheduleRun  # noqa: F401
