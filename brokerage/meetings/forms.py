from __future__ import annotations


from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, SubmitField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from brokerage.timeutil import WORKING_DAY


def clean_text(value: str | None) -> str | None:
    """Trim, and drop NUL characters: nobody types them and PostgreSQL refuses them in text."""
    return value.replace("\x00", "").strip() if value else value


class MeetingRequestForm(FlaskForm):
    message = TextAreaField(
        "Message", filters=[clean_text], validators=[DataRequired("Tell them briefly why you would like to meet."), Length(max=2000)],
        description="What you offer or look for, and what you would like to discuss.")
    submit = SubmitField("Send meeting request")


class MessageForm(FlaskForm):
    body = TextAreaField("Your message", filters=[clean_text], validators=[
        DataRequired("Write a message first."), Length(max=2000, message="Keep a message to %(max)d characters "
                                                                          "(it has %(length)d).")])


class WorkingHoursForm(FlaskForm):
    """One click: mark exactly the slots that fall inside these hours of my own clock."""

    start = TimeField("From", default=WORKING_DAY[0], validators=[InputRequired("Give the start of your working day.")])
    end = TimeField("Until", default=WORKING_DAY[1], validators=[InputRequired("Give the end of your working day.")])
    use_hours = SubmitField("Use my working hours")

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError("The end of your working day must be after its start.")


class AvailabilityForm(FlaskForm):
    # Choices are the event's slot ids, so a forged id from another event fails validation.
    slot = SelectMultipleField(
        "Slots", coerce=int, choices=[], validate_choice=True,
        invalid_value_message="Tick slots from the list below only.",
        # Usually the organisers removed a meeting window while the page was open; slot ids mean nothing here.
        invalid_choice_message="Some ticked slots are no longer part of this event; the organisers may have "
                               "changed the meeting windows. Your other ticks are kept below: check them and "
                               "save again.")
    save = SubmitField("Save availability")
