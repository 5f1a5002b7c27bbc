"""Organiser console forms. Cross-field checks that need the database live in the views."""
from __future__ import annotations

import re
import string
from datetime import timedelta
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, EmailField, HiddenField, IntegerField, SelectField,
                     StringField, TextAreaField, TimeField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from brokerage.events.forms import choices, no_control_characters, one_line
from brokerage.organiser.announcements import AUDIENCES
from brokerage.timeutil import timezone_choices

SLOT_LENGTHS = [(15, "15 minutes"), (20, "20 minutes"), (30, "30 minutes")]
REQUEST_MODES = [("approval", "The recipient accepts or declines each request"),
                 ("automatic", "Requests are accepted automatically")]
VIDEO_MODES = [("template", "One room per meeting, from a link template"),
               ("participant", "Each participant gives their own video link")]
VIDEO_PLACEHOLDERS = ("event", "meeting")
MAX_EVENT_DAYS = 14
MAIN_ZONES = ("Europe/Brussels", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Asia/Seoul")
SLUG_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def video_template_problem(template: str) -> str | None:
    """Why a video link template would not give each meeting its own working link, or None."""
    try:
        parts = urlsplit(template)
    except ValueError:  # e.g. an unclosed [ taken for an IPv6 address
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return "Start the link with https:// and a host name."
    if any(c.isspace() for c in template):  # calendars leave out a link with spaces
        return "A link has no spaces: join the parts with - or /."
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(template) if name is not None]
    except ValueError:
        return "Unbalanced { or }: write placeholders as {event} and {meeting}."
    names = [name for name, _, _ in fields]
    unknown = sorted({name for name in names if name not in VIDEO_PLACEHOLDERS})
    if unknown or any(spec or conv for _, spec, conv in fields):
        shown = ", ".join("{" + n + "}" for n in unknown) or "with a format"
        return f"Unknown placeholder {shown}: only {{event}} and {{meeting}} are filled in."
    if "meeting" not in names:
        return "Include {meeting}, so that every meeting gets its own room."
    return None


class EventBasicsForm(FlaskForm):
    name = StringField("Event name", filters=[one_line], validators=[DataRequired("Give the event a name."), Length(max=200),
                                                 no_control_characters])
    timezone = SelectField("Event time zone", validators=[DataRequired("Choose the event's time zone.")],
                           invalid_choice_message="Choose a time zone from the list.")
    start_date = DateField("First day", validators=[InputRequired(message="Give the first day.")])
    end_date = DateField("Last day", validators=[InputRequired(message="Give the last day.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = timezone_choices()
        # The regions these events connect come first; every other zone follows.
        self.timezone.choices = choices(sorted(
            zones, key=lambda z: MAIN_ZONES.index(z[0]) if z[0] in MAIN_ZONES else len(MAIN_ZONES)))

    def validate_start_date(self, field):
        if field.data and not 2000 <= field.data.year <= 2100:
            raise ValidationError("Give a date between the years 2000 and 2100.")

    @property
    def valid_start(self):
        """The first day if it is usable: date sums on a year-1 date overflow."""
        start = self.start_date.data
        return start if start and 2000 <= start.year <= 2100 else None

    def validate_end_date(self, field):
        if self.start_date.data and field.data:
            if field.data < self.start_date.data:
                raise ValidationError("The last day cannot be before the first day.")
            if field.data - self.start_date.data >= timedelta(days=MAX_EVENT_DAYS):
                raise ValidationError(f"An event lasts at most {MAX_EVENT_DAYS} days.")


class NewEventForm(EventBasicsForm):
    slug = StringField("Web address (optional)", filters=[one_line], validators=[
        Optional(), Length(min=3, max=80),
        Regexp(SLUG_RE, message="Use lower-case letters, digits and single hyphens, e.g. eu-japan-2027.")])
    organisation = StringField("Your organisation (support office)", filters=[one_line],
                               validators=[DataRequired("Give your organisation, e.g. EEN Brussels."), Length(max=200),
                                           no_control_characters])


def _optional_count(label: str, minimum: int = 1) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=minimum, max=1000,
                                                                   message=f"Give a number from {minimum} to 1000, or leave it empty.")])


class SettingsForm(EventBasicsForm):
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000), no_control_characters])
    slot_minutes = SelectField("Meeting length", coerce=int, choices=choices(SLOT_LENGTHS))
    pause_minutes = IntegerField("Pause between meetings (minutes)", validators=[
        InputRequired(message="Give the pause in minutes (0 for none)."),
        NumberRange(min=0, max=60, message="Give 0 to 60 minutes.")])
    room_capacity = _optional_count("Concurrent video rooms (empty = unlimited)")
    registration_deadline = DateTimeLocalField("Registration deadline", format="%Y-%m-%dT%H:%M",
                                               validators=[Optional()])
    booking_deadline = DateTimeLocalField("Meeting request deadline", format="%Y-%m-%dT%H:%M",
                                          validators=[Optional()])
    participant_approval = BooleanField("Organisers approve each registration")
    request_mode = SelectField("Meeting requests", choices=choices(REQUEST_MODES))
    max_pending_requests = _optional_count("Most open requests a participant may send (empty = no limit)")
    max_meetings = _optional_count("Most meetings per participant (empty = no limit)")
    video_mode = SelectField("Video links", choices=choices(VIDEO_MODES))
    video_link_template = StringField("Video link template", filters=[one_line], validators=[Length(max=300), no_control_characters])

    def validate_video_link_template(self, field):
        field.data = (field.data or "").strip()
        if self.video_mode.data == "template":
            problem = video_template_problem(field.data) if field.data else "Give a link template, e.g. https://meet.jit.si/{event}-{meeting}."
            if problem:
                raise ValidationError(problem)
        elif field.data and (problem := video_template_problem(field.data)):
            raise ValidationError(problem)  # kept for later use, so it must work then too

    def _deadline_within_event(self, field):
        if field.data and self.end_date.data and field.data.date() > self.end_date.data:
            raise ValidationError("The deadline must be on or before the last event day.")
        if field.data and self.valid_start and field.data.date() < self.valid_start - timedelta(days=366):
            raise ValidationError("The deadline must be within the year before the event.")

    validate_registration_deadline = _deadline_within_event
    validate_booking_deadline = _deadline_within_event


class WindowForm(FlaskForm):
    label = StringField("Label", filters=[one_line], validators=[DataRequired("Give the window a label, e.g. Asia-Europe."), Length(max=80),
                                             no_control_characters],
                        render_kw={"placeholder": "Asia-Europe"})
    clock = SelectField("Times on the clock of", validate_choice=True)  # choices: the event's (windows.window_clocks)
    day = DateField("Day", validators=[InputRequired(message="Choose the day.")])
    start = TimeField("Start", validators=[InputRequired(message="Give the start time.")])
    end = TimeField("End", validators=[InputRequired(message="Give the end time.")])
    ends_next_day = BooleanField("Ends on the next day, after midnight")
    shown = HiddenField()  # the times as the edit form showed them: "clock|day|start|end|next day"


class TeamMemberForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Give their email address."), Email(check_deliverability=False),
                                            Length(max=254)])
    name = StringField("Name (for a new account)", filters=[one_line], validators=[Optional(), Length(max=120), no_control_characters])
    organisation = StringField("Organisation (support office)", filters=[one_line],
                               validators=[DataRequired("Give their organisation (support office)."), Length(max=200),
                                           no_control_characters])
    role = SelectField("Role", choices=choices([("co_organiser", "Co-organiser: manages participants"),
                                                ("organiser", "Organiser: full rights")]))


class ParticipantAdminForm(FlaskForm):
    support_office = StringField("Support office", filters=[one_line], validators=[Optional(), Length(max=200), no_control_characters])
    organiser_notes = TextAreaField("Organiser notes (never shown to the participant)",
                                    validators=[Optional(), Length(max=10000), no_control_characters])


class ImportForm(FlaskForm):
    csv_text = TextAreaField("Or paste the CSV text", validators=[Optional(), Length(max=1_000_000)])


class ImportConfirmForm(FlaskForm):
    csv_text = HiddenField(validators=[DataRequired(), Length(max=1_000_000)])


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "event"


class AnnouncementForm(FlaskForm):
    audience = SelectField("Send to", choices=choices(AUDIENCES), invalid_choice_message="Choose a group from the list.")
    office = SelectField("Of the support office", default="", choices=choices([("", "Any support office")]),  # + view
                         invalid_choice_message="Choose a support office from the list.")
    subject = StringField("Subject", filters=[one_line], validators=[
        DataRequired("Give the mail a subject."), Length(max=150), no_control_characters])
    body = TextAreaField("Message", filters=[lambda v: v.strip() if isinstance(v, str) else v], validators=[
        DataRequired("Write the message."), Length(max=5000), no_control_characters],
        description="Each participant's mail starts with their name and ends with yours and the event's link.")
    expected = HiddenField()  # announcements.group_key of the people the preview showed
    token = HiddenField()  # the preview's one-time key (Announcement.token)
