from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional, ValidationError

from brokerage.events.forms import no_control_characters
from brokerage.extensions import db
from brokerage.meetings.models import FOLLOW_UPS, RATINGS, Meeting, MeetingOutcome


class OutcomeForm(FlaskForm):
    # validate_choice=False so a tampered value gets our wording, not WTForms' generic one.
    rating = SelectField("How did the meeting go?", choices={"": "Choose…", **dict(RATINGS)}, validate_choice=False,
                         validators=[InputRequired(message="Choose how the meeting went."),
                                     AnyOf([key for key, _ in RATINGS], message="Choose one of the listed ratings.")])
    follow_up = SelectField("Follow-up since the meeting", choices={"": "Not known yet", **dict(FOLLOW_UPS)},
                            validate_choice=False,
                            validators=[Optional(), AnyOf([key for key, _ in FOLLOW_UPS],
                                                          message="Choose one of the listed follow-ups.")])
    comment = TextAreaField("Comment (optional; the organisers see it, your meeting partner does not)", validators=[Length(max=2000), no_control_characters])

    def save(self, meeting: Meeting, participant, outcome: MeetingOutcome | None, organiser=None) -> None:
        """Store what the form says as the participant's outcome of the meeting, entered by the participant or
        by an organiser who heard it from them (the caller commits)."""
        if outcome is None:
            outcome = MeetingOutcome(meeting=meeting, participant_id=participant.id)
            db.session.add(outcome)
        outcome.rating, outcome.follow_up = self.rating.data, self.follow_up.data or None
        outcome.comment = (self.comment.data or "").strip()  # absent from a hand-made POST
        outcome.recorded_by_id = organiser.id if organiser else None

    def validate_follow_up(self, field):
        if field.data and self.rating.data == "not_held":
            raise ValidationError("A meeting that did not take place has no follow-up. Leave this as “Not known yet”.")
