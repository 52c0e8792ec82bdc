"""The "Closure for transfer" form (TNA's closure fields, retention.closure), prefilled from the
record's closure, and the reading of what was posted into a `Closure` whose `problems` are put
beside the fields they name. It only reads; retention.web.closure saves."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length, Optional

from retention.closure import CLOSED, OPEN, Closure, closure_of, problems
from retention.web.forms import DATE_FORMAT, DateInput

#: The fields a problem may name, in the order the form shows them.
FIELDS = (
    "closure_type",
    "closure_period",
    "closure_start_date",
    "foi_exemption_code",
    "foi_exemption_asserted",
    "title_closed",
    "title_alternate",
    "description_closed",
)


class ClosureForm(FlaskForm):
    """A record's closure for transfer to The National Archives, with its field names."""

    closure_type = RadioField(
        "Closure type (closure_type)",
        choices=[
            SelectChoice(OPEN, "Open: the archive may show it"),
            SelectChoice(CLOSED, "Closed under the FOI Act"),
        ],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose Open or Closed")],
    )
    closure_period = IntegerField(
        "Closure period in years (closure_period)",
        description="Closed only: 1 to 150 years.",
        widget=GovTextInput(),
        validators=[Optional()],
    )
    closure_start_date = DateField(
        "Closure start date (closure_start_date)",
        description="Closed only: the closure runs from this day, usually the record's last "
        "date. For example, 31 3 2024.",
        format=DATE_FORMAT,
        widget=DateInput(),
        validators=[Optional()],
    )
    foi_exemption_code = StringField(
        "FOI exemption code (foi_exemption_code)",
        description="Closed only: the FOI Act sections, for example 27(1) or 40(2).",
        widget=GovTextInput(),
        validators=[Length(max=200)],
    )
    foi_exemption_asserted = DateField(
        "FOI exemption asserted (foi_exemption_asserted)",
        description="Optional: the day the exemption was asserted.",
        format=DATE_FORMAT,
        widget=DateInput(),
        validators=[Optional()],
    )
    title_closed = BooleanField("The title is closed too (title_closed)", widget=GovCheckboxInput())
    title_alternate = StringField(
        "Alternate title (title_alternate)",
        description="Needed when the title is closed: the title the archive shows instead.",
        widget=GovTextInput(),
        validators=[Length(max=500)],
    )
    description_closed = BooleanField(
        "The description is closed too (description_closed)", widget=GovCheckboxInput()
    )
    save_closure = SubmitField("Save the closure", widget=GovSubmitInput())

    def closure(self) -> Closure:
        """What was posted (an open record carries no closure fields, whatever was typed)."""
        if self.closure_type.data != CLOSED:
            return Closure(closure_type=self.closure_type.data or OPEN)
        return Closure(
            closure_type=CLOSED,
            closure_period=self.closure_period.data,
            closure_start_date=self.closure_start_date.data,
            foi_exemption_code=(self.foi_exemption_code.data or "").strip(),
            foi_exemption_asserted=self.foi_exemption_asserted.data,
            title_closed=bool(self.title_closed.data),
            description_closed=bool(self.description_closed.data),
            title_alternate=(self.title_alternate.data or "").strip(),
        )

    def check(self) -> bool:
        """Whether the form may be saved: its own checks, then retention.closure's `problems`,
        each put beside the first field it names."""
        if not self.validate_on_submit():
            return False
        found = problems(self.closure())
        for problem in found:
            field: Any = getattr(self, _field_named(problem))
            field.errors = [*field.errors, problem[0].upper() + problem[1:]]
        return not found


def prefilled(session: Session, document_id: int) -> ClosureForm:
    """The form with the record's closure as it stands (Open when none was set)."""
    current = closure_of(session, document_id)
    form = ClosureForm(formdata=None, obj=current)
    return form


def _field_named(problem: str) -> str:
    """The field a problem is about: the first field name in its words (the closure type for
    one naming none, or an open record's closure fields)."""
    if problem.startswith("an open record"):
        return "closure_type"
    at = {name: problem.find(name) for name in FIELDS if name in problem}
    return min(at, key=lambda name: at[name]) if at else "closure_type"
