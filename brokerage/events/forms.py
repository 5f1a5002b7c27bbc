"""Registration profile and cooperation opportunity forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField, URLField
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

from brokerage import timeutil
from brokerage.events.models import OPPORTUNITY_KINDS, ORGANISATION_TYPES, SECTORS


CHOOSE = [("", "Choose…")]


def choices(*groups: list[tuple]) -> list[SelectChoice]:
    """(value, label) lists, e.g. ORGANISATION_TYPES, as WTForms options (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for group in groups for value, label in group]


def strip(value):
    return value.strip() if isinstance(value, str) else value


def one_line(value):
    """A single-line field (a name, a title) on one line: pasted or imported line breaks
    (also Excel's Alt+Enter and U+2028) become spaces, as they would break mail subjects."""
    return " ".join(value.splitlines()).strip() if isinstance(value, str) else value


def no_control_characters(form, field):
    # PostgreSQL refuses NUL in text, and other control characters are never meant: say so rather than fail.
    values = field.data if isinstance(field.data, list) else [field.data]
    for value in values:
        if isinstance(value, str) and any(ord(c) < 32 and c not in "\t\r\n" for c in value):
            raise ValidationError("Remove the invisible control characters from this text.")


def no_spaces(form, field):
    # A link goes into calendars (LOCATION, URL), where a line break would break every invite that carries it.
    if isinstance(field.data, str) and any(c.isspace() for c in field.data):
        raise ValidationError("A web address has no spaces or line breaks.")


def at_least_one_sector(form, field) -> None:
    # Not DataRequired: its "required" flag reaches every checkbox, and a screen reader then announces all
    # twelve as required (the field itself is marked required in ProfileForm.__init__).
    if not field.data:
        raise ValidationError("Choose at least one sector.")


NO_OFFICE = ("", "None, or I do not know")


class ProfileForm(FlaskForm):
    organisation = StringField("Organisation name", filters=[one_line], validators=[
        DataRequired("Enter your organisation's name."), Length(max=200), no_control_characters])
    country = SelectField("Country", invalid_choice_message="Choose your country from the list.",
                          validators=[DataRequired("Choose your country.")])
    organisation_type = SelectField("Organisation type", choices=choices(CHOOSE, ORGANISATION_TYPES),
                                    invalid_choice_message="Choose an organisation type from the list.",
                                    validators=[DataRequired("Choose your organisation type.")])
    sectors = SelectMultipleField("Sectors", choices=choices(SECTORS),
                                  filters=[lambda keys: list(dict.fromkeys(keys or []))],  # a key sent twice
                                  widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                  invalid_choice_message="Choose only sectors from the list.",
                                  validators=[at_least_one_sector])
    website = URLField("Website", filters=[strip], validators=[
        Optional(), Length(max=300), no_spaces, URL(message="Enter a full web address, e.g. https://example.com."),
        no_control_characters])
    description = TextAreaField("What your organisation does", validators=[Length(max=5000), no_control_characters])
    languages = StringField("Languages you can meet in", filters=[one_line],
                            validators=[Length(max=200), no_control_characters])
    timezone = SelectField("Your time zone", invalid_choice_message="Choose your time zone from the list.",
                           validators=[DataRequired("Choose your time zone.")])
    support_office = SelectField("Your support office", default="", choices=choices([NO_OFFICE]),  # offer_offices
                                 invalid_choice_message="Choose a support office from the list.")
    video_link = URLField("Your own video meeting link (optional)", filters=[strip], validators=[
        Optional(), Length(max=300), no_spaces,
        URL(message="Enter a full web address, e.g. https://meet.example.com/you."), no_control_characters])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sectors.flags.required = True  # the label's mark; the checkboxes stay optional one by one
        self.country.choices = choices(CHOOSE, timeutil.country_choices())
        # The submitted country's zones come first; an unknown country just gives the plain list.
        zones = timeutil.timezone_choices(self.country.data)
        kept = self.timezone.data
        if kept and timeutil.is_place_timezone(kept) and kept not in dict(zones):
            zones.insert(0, (kept, kept.replace("_", " ")))  # an older name (Asia/Calcutta), e.g. from a CSV import
        self.timezone.choices = choices(CHOOSE, zones)


def offer_offices(form: ProfileForm, offices: list[str], current: str = "") -> None:
    """The event's support offices to choose from, and the one a participant has, which an organiser may have
    typed (an import, the participant page)."""
    form.support_office.choices = choices([NO_OFFICE], [(o, o) for o in offices],
                                          [(current, current)] if current and current not in offices else [])


class OpportunityForm(FlaskForm):
    kind = SelectField("Type", choices=choices(CHOOSE, OPPORTUNITY_KINDS),
                       invalid_choice_message="Choose a type from the list.",
                       validators=[DataRequired("Choose the type.")])
    title = StringField("Title", filters=[one_line], validators=[
        DataRequired("Give the opportunity a title."),
        Length(max=160, message="Keep the title to at most %(max)d characters (it has %(length)d)."),
        no_control_characters])
    description = TextAreaField("Description", validators=[Length(max=5000), no_control_characters])
    keywords = StringField("Keywords (comma-separated)", filters=[one_line],
                           validators=[Length(max=300), no_control_characters])
