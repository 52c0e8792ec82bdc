"""Forms for correcting a record: its details (with a reason), where it is filed (a class by
name, then a folder), and a new version of its content."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

#: The details a person corrects on the edit page, in the order the pages show them.
DETAIL_FIELDS = ("title", "doc_type", "subject", "description", "marking")
DETAIL_LABELS = {
    "title": "Title",
    "doc_type": "Document type",
    "subject": "Subject",
    "description": "Description",
    "marking": "Security marking",
}
REASON_RULES = [
    DataRequired(message="Enter the reason for the change"),
    Length(max=2000, message="The reason must be 2,000 characters or fewer"),
]


class DetailsForm(FlaskForm):
    """The descriptive details a person may correct, and why."""

    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter a title"),
            Length(max=500, message="The title must be 500 characters or fewer"),
        ],
    )
    doc_type = StringField(
        "Document type",
        description="For example: invoice, minutes, case note, policy paper.",
        widget=GovTextInput(),
        validators=[Length(max=100, message="The type must be 100 characters or fewer")],
    )
    subject = StringField(
        "Subject",
        description="Keywords that say what it is about, separated by semicolons.",
        widget=GovTextInput(),
        validators=[Length(max=500, message="The subject must be 500 characters or fewer")],
    )
    description = TextAreaField(
        "Description",
        widget=GovTextArea(),
        validators=[Length(max=5000, message="The description must be 5,000 characters or fewer")],
    )
    marking = SelectField(
        "Security marking",
        description="It cannot be lower than its class's or folder's, nor above your clearance.",
        widget=GovSelect(),
        validators=[DataRequired(message="Choose a security marking")],
    )
    reason = TextAreaField(
        "Reason for the change",
        description="Kept in the record's history and the audit trail.",
        widget=GovTextArea(),
        validators=REASON_RULES,
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def values(self) -> dict[str, str]:
        """The details as posted, trimmed (the description keeps its lines)."""
        return {name: _plain(getattr(self, name).data) for name in DETAIL_FIELDS}


class ClassForm(FlaskForm):
    """Step one of filing or moving: the class, chosen by name (nothing chosen at first)."""

    class_code = StringField("Class", validators=[Optional(), Length(max=100)])


class PlaceForm(FlaskForm):
    """Step two: the folder in the chosen class (where it has open folders), and why."""

    class_code = HiddenField(validators=[Optional(), Length(max=100)])
    folder_code = RadioField(
        "Folder",
        widget=GovRadioInput(),
        validators=[Optional()],
        validate_choice=False,  # the service checks the folder, naming the field
    )
    new_folder = StringField(
        "Name of the new folder",
        description="For example: the case, contract or year it holds.",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Length(max=300, message="The name must be 300 characters or fewer"),
        ],
    )
    reason = TextAreaField(
        "Reason for moving it",
        description="Kept in the record's history and the audit trail.",
        widget=GovTextArea(),
        validators=[
            Optional(),
            Length(max=2000, message="The reason must be 2,000 characters or fewer"),
        ],
    )

    def require_reason(self) -> bool:
        """A move needs a reason (filing from the triage list does not)."""
        if (self.reason.data or "").strip():
            return True
        self.reason.errors = [*self.reason.errors, "Enter the reason for moving it"]
        return False


class VersionForm(FlaskForm):
    """A new version of a document's content."""

    file = FileField(
        "The new version",
        description="The file as it is now; the earlier versions are kept.",
        widget=GovFileInput(),
        validators=[FileRequired(message="Choose the file to upload")],
    )
    submit = SubmitField("Upload the new version", widget=GovSubmitInput())


def _plain(value: str | None) -> str:
    """A field's text trimmed, with the browser's CRLF line ends as the record keeps them."""
    return (value or "").replace("\r\n", "\n").strip()


def error_list(form: Any, *, extra: list[str] | None = None) -> list[dict[str, str]]:
    """The GOV.UK error summary's items: each field's first error, linked to the field."""
    items = []
    for field in form:
        if field.errors:
            items.append({"text": str(field.errors[0]), "href": f"#{field.id}"})
    items.extend({"text": text} for text in extra or [])
    return items
