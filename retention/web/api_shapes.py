"""The shapes of the records-management JSON API, for the OpenAPI document and the checks of
what is sent and answered (`edrm.web.api_style`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from edrm.web.api_style import Answer, PageQuery, Problem, Request, page_model

ERRORS: dict[str, Any] = {
    "HTTP_400": Problem,
    "HTTP_401": Problem,
    "HTTP_403": Problem,
    "HTTP_404": Problem,
}


class Rule(Answer):
    """A retention rule: when the clock starts, how long, and what happens then."""

    code: str
    title: str
    trigger: str
    action: str
    describe: str


RulePage = page_model(Rule, "RulePage")


class RuleOrNode(Answer):
    """A rule with the nodes that use it, or a class/folder with the rule that applies."""


class Event(Answer):
    id: int
    name: str
    occurred_on: str
    folder: str | None = None
    document_id: int | None = None
    note: str
    recorded_at: str
    recorded_by: str


EventPage = page_model(Event, "EventPage")


class NewEvent(Request):
    """Something that starts records' clocks (an employee left, a contract ended)."""

    name: str = Field(min_length=1, max_length=100)
    occurred_on: date
    folder_code: str | None = Field(None, max_length=100)
    document_id: int | None = Field(None, ge=1, le=2**62)
    note: str = Field("", max_length=1000)


class QueueQuery(PageQuery):
    status: str | None = Field(None, description="pending, approved, … or all (default: open)")
    class_code: str | None = Field(None, alias="class", max_length=100)
    action: str | None = Field(None, max_length=20)


class QueueItem(Answer):
    id: int
    document_id: int
    action: str
    due: str
    stage: int
    status: str
    class_code: str
    title: str | None = None
    withheld: bool = False


QueuePage = page_model(QueueItem, "QueuePage")


class Decision(Answer):
    item_id: int
    stage: int
    decision: str
    reason: str | None = None
    decided_by: str
    decided_at: str


class QueueItemDetail(QueueItem):
    decisions: list[Decision]


class NewDecision(Request):
    decision: str = Field(description="approve, reject, extend, …")
    reason: str = Field(min_length=1, max_length=2000)
    new_date: date | None = Field(None, description="for extend: the new review date")


class HoldsQuery(PageQuery):
    all: str | None = Field(None, description="1: lifted holds too")


class Hold(Answer):
    """A legal hold: why, on whose authority, how widely, and how many records it covers."""

    id: int
    reason: str
    authority: str
    scope: str
    active: bool
    placed_at: str
    placed_by: str
    documents: int


class HoldPage(Answer):
    items: list[Hold]
    next: str | None = None
    holds: list[Hold]


class NewHold(Request):
    """Exactly one target: a document, a folder or class (and all below it), or a search."""

    reason: str = Field(min_length=1, max_length=2000)
    authority: str = Field(min_length=1, max_length=500)
    document_id: int | None = Field(None, ge=1, le=2**62)
    folder_code: str | None = Field(None, max_length=100)
    query: str | None = Field(None, max_length=1000)


class Lift(Request):
    reason: str = Field(min_length=1, max_length=2000)


class Certificate(Answer):
    batch_id: int
    action: str
    records: int
    certificate_document_id: int
    title: str


CertificatePage = page_model(Certificate, "CertificatePage")


class TransferOut(Answer):
    id: int
    bag_id: str
    status: str
    created_at: str
    created_by: str
    count: int


TransferPage = page_model(TransferOut, "TransferPage")
