"""Records management on the JSON API (records managers only): the retention schedule, events,
the disposal queue and its decisions, legal holds, certificates and transfers.

Calls with an API token need its `records` scope (`edrm.web.api_scopes`). Each goes to the
service the records-management pages use, as the caller. A hold's target (a record number or
file-plan code) is left out of lists: the holds page shows it only where the person may see it.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from pydantic import BaseModel
from spectree import Response as Responses

import retention.web.api_shapes as s
from edrm.access import require_records_manager
from edrm.errors import NotFoundError
from edrm.web.api import json_api_blueprint
from edrm.web.api_style import (
    PageQuery,
    Problem,
    decode_cursor,
    json_body,
    next_link,
    page_of,
    spec,
)
from edrm.web.runtime import db, rt
from retention import events, holds, review, schedule, transfer
from retention.certificates import list_certificates
from retention.models import DisposalItem

api = json_api_blueprint("retention_api", __name__)
_SHOWN = ("id", "reason", "authority", "scope", "active", "placed_at", "placed_by", "documents")
MADE = {**s.ERRORS, "HTTP_422": Problem}
TAGS = ["records"]


@api.before_request
def _records_managers_only() -> None:
    require_records_manager(g.principal, "use the records-management API")
    schedule.ensure_schedule(db(), rt().settings)  # the configured schedule, on first use


def _query(model: type[PageQuery]) -> Any:
    return model.model_validate(request.args.to_dict())


def _body(model: type[BaseModel]) -> Any:
    return json_body(model)


@api.get("/retention/schedule")
@spec.validate(query=PageQuery, resp=Responses(HTTP_200=s.RulePage, **s.ERRORS), tags=TAGS)
def rules() -> Any:
    """The retention schedule: every rule, by code"""
    found = sorted(schedule.current_schedule(db()).rules, key=lambda r: r.code)
    return page_of([schedule.rule_as_dict(r) for r in found], _query(PageQuery))


@api.get("/retention/schedule/<code>")
@spec.validate(resp=Responses(HTTP_200=s.RuleOrNode, **s.ERRORS), tags=TAGS)
def rule(code: str) -> Any:
    """A rule and the nodes using it, or a class or folder and the rule that applies to it"""
    return schedule.show(db(), code)


@api.get("/retention/events")
@spec.validate(query=PageQuery, resp=Responses(HTTP_200=s.EventPage, **s.ERRORS), tags=TAGS)
def list_events() -> Any:
    """Retention events recorded, newest first"""
    wanted = _query(PageQuery)
    offset = decode_cursor(wanted.cursor)
    found = events.list_events(db(), offset=offset, limit=wanted.limit + 1)
    return {
        "items": found[: wanted.limit],
        "next": next_link(offset, wanted.limit, len(found) > wanted.limit),
    }


@api.post("/retention/events")
@spec.validate(json=s.NewEvent, resp=Responses(HTTP_201=s.Event, **MADE), tags=TAGS)
def record_event() -> Any:
    """Record an event on a folder or a record; the records it reaches get new due dates"""
    wanted = _body(s.NewEvent)
    made = events.record_event(
        db(),
        wanted.name,
        occurred_on=wanted.occurred_on,
        folder_code=wanted.folder_code,
        document_id=wanted.document_id,
        actor=g.principal,
        note=wanted.note,
    )
    return events.event_as_dict(made, wanted.folder_code), 201


@api.get("/disposal/queue")
@spec.validate(query=s.QueueQuery, resp=Responses(HTTP_200=s.QueuePage, **s.ERRORS), tags=TAGS)
def queue() -> Any:
    """The disposal queue, oldest due first (?status=…, ?class=CODE, ?action=…)"""
    wanted = _query(s.QueueQuery)
    session = db()
    offset = decode_cursor(wanted.cursor)
    items = review.list_queue(  # one more than a page: is there a next?
        session,
        status=wanted.status,
        class_code=wanted.class_code,
        action=wanted.action,
        offset=offset,
        limit=wanted.limit + 1,
    )
    return {
        "items": review.items_as_dicts(session, items[: wanted.limit], viewer=g.principal),
        "next": next_link(offset, wanted.limit, len(items) > wanted.limit),
    }


def _item(item_id: int) -> dict[str, Any]:
    session = db()
    found = session.get(DisposalItem, item_id)
    if found is None:
        raise NotFoundError(f"disposal item {item_id} not found")
    data = review.items_as_dicts(session, [found], viewer=g.principal)[0]
    withheld = data["withheld"]
    data["decisions"] = [
        review.decision_as_dict(d, withheld=withheld)
        for d in review.decisions_for(session, item_id)
    ]
    return data


@api.get("/disposal/queue/<int:item_id>")
@spec.validate(resp=Responses(HTTP_200=s.QueueItemDetail, **s.ERRORS), tags=TAGS)
def queue_item(item_id: int) -> Any:
    """One queue item with its decisions so far"""
    return _item(item_id)


@api.post("/disposal/queue/<int:item_id>/decisions")
@spec.validate(json=s.NewDecision, resp=Responses(HTTP_201=s.QueueItemDetail, **MADE), tags=TAGS)
def decide(item_id: int) -> Any:
    """Decide on a pending item, with a reason (approve, reject, extend with a new date …)"""
    wanted = _body(s.NewDecision)
    review.decide(
        db(),
        item_id,
        wanted.decision,
        reason=wanted.reason,
        actor=g.principal,
        new_date=wanted.new_date,
    )
    return _item(item_id), 201


@api.get("/holds")
@spec.validate(query=s.HoldsQuery, resp=Responses(HTTP_200=s.HoldPage, **s.ERRORS), tags=TAGS)
def api_holds() -> Any:
    """The legal holds in force (?all=1: lifted ones too), newest first"""
    session = db()
    listed = holds.list_holds(session, active_only=request.args.get("all") != "1")
    rows = [
        {k: v for k, v in holds.hold_as_dict(session, h).items() if k in _SHOWN} for h in listed
    ]
    page = page_of(rows, _query(s.HoldsQuery))
    return jsonify({**page, "holds": page["items"]})


def _hold(hold_id: int) -> dict[str, Any]:
    data = holds.hold_as_dict(db(), holds.get_hold(db(), hold_id))
    return {k: v for k, v in data.items() if k != "target"}


@api.get("/holds/<int:hold_id>")
@spec.validate(resp=Responses(HTTP_200=s.Hold, **s.ERRORS), tags=TAGS)
def get_hold(hold_id: int) -> Any:
    """One legal hold"""
    return _hold(hold_id)


@api.post("/holds")
@spec.validate(json=s.NewHold, resp=Responses(HTTP_201=s.Hold, **MADE), tags=TAGS)
def place_hold() -> Any:
    """Place a legal hold: nothing it covers can be destroyed, moved or changed"""
    wanted = _body(s.NewHold)
    placed = holds.place_hold(
        db(),
        reason=wanted.reason,
        authority=wanted.authority,
        actor=g.principal,
        document_id=wanted.document_id,
        folder_code=wanted.folder_code,
        query=wanted.query,
        search=rt(),
    )
    return _hold(placed.id), 201


@api.post("/holds/<int:hold_id>/lift")
@spec.validate(json=s.Lift, resp=Responses(HTTP_200=s.Hold, **MADE), tags=TAGS)
def lift_hold(hold_id: int) -> Any:
    """Lift a legal hold, saying why"""
    holds.lift_hold(db(), hold_id, reason=_body(s.Lift).reason, actor=g.principal)
    return _hold(hold_id)


@api.get("/certificates")
@spec.validate(query=PageQuery, resp=Responses(HTTP_200=s.CertificatePage, **s.ERRORS), tags=TAGS)
def certificates() -> Any:
    """Certificates of destruction and transfer, newest first (each is a record: its content
    is at /documents/{certificate_document_id}/content)"""
    return page_of(list_certificates(db()), _query(PageQuery))


@api.get("/transfers")
@spec.validate(query=PageQuery, resp=Responses(HTTP_200=s.TransferPage, **s.ERRORS), tags=TAGS)
def transfers() -> Any:
    """Transfer packages sent (or to send) to the archive, newest first"""
    session = db()
    rows = [transfer.transfer_as_dict(session, t) for t in transfer.list_transfers(session)]
    return page_of([{k: v for k, v in r.items() if k != "path"} for r in rows], _query(PageQuery))
