"""Forms for the records managers' pages (Flask-WTF for CSRF, GOV.UK widgets for markup), and
the reading of their fields that more than one page shares."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import DateField, RadioField, SelectChoice, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from edrm.errors import InvalidInputError
from edrm.ids import id_from_text

DATE_FORMAT = "%d %m %Y"  # the GOV.UK date input's day, month and year, joined by spaces


class DateInput(GovDateInput):
    """The GOV.UK date input, also when the form was posted without the date's three parts."""

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        if field.raw_data is not None and len(field.raw_data) != 3:
            field.raw_data = None
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)
        return params


class DecisionForm(FlaskForm):
    """One decision for the items ticked in the disposal queue (or every item matching)."""

    decision = RadioField(
        "Decision",
        choices=[
            SelectChoice("approve", "Approve"),
            SelectChoice("reject", "Reject: keep the records and review them again later"),
            SelectChoice("extend", "Extend: keep them until a new date"),
            SelectChoice("refer", "Refer to a further reviewer"),
        ],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose a decision")],
    )
    reason = TextAreaField(
        "Reason",
        description="Why: this is kept in the item's history and the audit trail.",
        widget=GovTextArea(),
        validators=[
            DataRequired(message="Enter a reason for the decision"),
            Length(max=2000, message="The reason must be 2,000 characters or fewer"),
        ],
    )
    new_date = DateField(
        "New date",
        description="Needed to extend; when rejecting, the new review date (a year from now "
        "if empty). For example, 31 3 2027.",
        format=DATE_FORMAT,
        widget=DateInput(),
        validators=[Optional()],
    )
    submit = SubmitField("Record the decision", widget=GovSubmitInput())

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.decision.data == "extend" and self.new_date.data is None:
            self.new_date.errors.append("Enter the date to extend to")
            return False
        return ok


class HoldForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        description="For example: FOI request 2025/117, or the name of the case.",
        widget=GovTextArea(),
        validators=[DataRequired(message="Enter the reason for the hold"), Length(max=2000)],
    )
    authority = StringField(
        "Authority",
        description="Who required it: a court, the Inquiry, the FOI team.",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the authority for the hold"), Length(max=300)],
    )
    document_id = StringField(
        "Document number",
        description="Hold one record: its number, as in /documents/123.",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=20)],
    )
    folder_code = StringField(
        "Folder or class code",
        description="Hold everything filed there and below it, for example FIN-AP-INV-2024.",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=100)],
    )
    query = StringField(
        "Search or saved search",
        description="Hold every record the search finds now.",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=500)],
    )
    submit = SubmitField("Place the hold", widget=GovSubmitInput())

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        chosen = [f for f in (self.document_id, self.folder_code, self.query) if f.data]
        if ok and len(chosen) != 1:
            self.document_id.errors.append(
                "Fill in exactly one of document number, folder or class code, or search"
            )
            return False
        return ok


class ReasonForm(FlaskForm):
    """Lifting a hold: a reason is required."""

    reason = StringField(
        "Reason for lifting",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the reason for lifting the hold"),
            Length(max=2000),
        ],
    )
    submit = SubmitField("Lift the hold", widget=GovSubmitInput())


class EventForm(FlaskForm):
    name = StringField(
        "Event",
        description="As the schedule names it, for example employee_left or contract_ended.",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the event's name"), Length(max=100)],
    )
    folder_code = StringField(
        "Folder or class code",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=100)],
    )
    document_id = StringField(
        "Or a document number",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=20)],
    )
    occurred_on = DateField(
        "When it happened",
        description="For example, 27 3 2025.",
        format=DATE_FORMAT,
        widget=DateInput(),
        validators=[InputRequired(message="Enter the date it happened")],
    )
    note = StringField("Note (optional)", widget=GovTextInput(), validators=[Length(max=2000)])
    submit = SubmitField("Record the event", widget=GovSubmitInput())

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and bool(self.folder_code.data) == bool(self.document_id.data):
            self.folder_code.errors.append(
                "Name either a folder or class code, or a document number"
            )
            return False
        return ok


class ConfirmTransferForm(FlaskForm):
    receipt = StringField(
        "The archive's receipt",
        description="Their reference for the accession.",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the archive's receipt"), Length(max=2000)],
    )
    submit = SubmitField("Record the receipt and remove the local copies", widget=GovSubmitInput())


class ScheduleImportForm(FlaskForm):
    file = FileField(
        "Schedule (CSV)",
        description="The CSV downloaded from this page, edited in a spreadsheet.",
        widget=GovFileInput(),
        validators=[FileRequired(message="Choose a CSV file")],
    )
    submit = SubmitField("Check the changes", widget=GovSubmitInput())


def document_number(value: str | None) -> int | None:
    """A document number as typed ("123" or "#123"); None when left empty."""
    text = (value or "").strip().lstrip("#")
    if not text:
        return None
    number = id_from_text(text)
    if number is None:
        raise InvalidInputError(f"{value!r} is not a document number")
    return number
