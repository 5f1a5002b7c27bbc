"""The marketplace search: a GET form, so results can be bookmarked and shared."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.validators import Length

from brokerage import timeutil
from brokerage.events.forms import choices, no_control_characters, strip
from brokerage.events.models import OPPORTUNITY_KINDS, ORGANISATION_TYPES, SECTORS
from brokerage.regions import REGIONS

ANY = [("", "Any")]


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only GET search changes nothing

    q = SearchField("Search text", filters=[strip], validators=[Length(max=200), no_control_characters])
    country = SelectField("Country", invalid_choice_message="Choose a country from the list.", default="")
    region = SelectField("Region", choices=choices(ANY, REGIONS), invalid_choice_message="Choose a region from the list.",
                         default="")
    organisation_type = SelectField("Organisation type", choices=choices(ANY, ORGANISATION_TYPES),
                                    invalid_choice_message="Choose an organisation type from the list.", default="")
    sector = SelectField("Sector", choices=choices(ANY, SECTORS), invalid_choice_message="Choose a sector from the list.",
                         default="")
    kind = SelectField("Opportunity type", choices=choices(ANY, OPPORTUNITY_KINDS),
                       invalid_choice_message="Choose an opportunity type from the list.", default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = choices(ANY, timeutil.country_choices())
