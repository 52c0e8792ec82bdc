"""Closure metadata for transfer to The National Archives, with the field names of its transfer
metadata schema: `closure_type` (Open or Closed), `closure_period` (years), `closure_start_date`,
`foi_exemption_code`, `foi_exemption_asserted`, `title_closed`, `description_closed` and
`title_alternate`.

The rules (pure, `problems`): a closed record needs a closure period, its start date and an FOI
exemption code; a closed title needs an alternate title to show instead; an open record carries
none of the closure fields. Records managers set a record's closure while it is reviewed or
before it is transferred; a record with none is open. The transfer bag's metadata.csv
(`edrm transfer export --format tna`) carries these fields for every record.

Setting it is one row and one audit entry, in the caller's transaction.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal, get_visible_document, require_records_manager
from edrm.errors import InvalidInputError
from retention.models import RecordClosure

OPEN, CLOSED = "Open", "Closed"
#: An FOI Act exemption as TNA writes it: a section with its subsections, e.g. "27(1)" or
#: "40(2)"; several separated by commas or spaces.
_EXEMPTION = re.compile(r"^\d{2}(\(\d+\))*([a-z])?([ ,]+\d{2}(\(\d+\))*([a-z])?)*$")
#: The columns of metadata.csv, in order: the record, then TNA's closure fields.
TNA_COLUMNS = (
    "file_path",
    "file_name",
    "identifier",
    "title",
    "description",
    "language",
    "date_last_modified",
    "checksum_sha256",
    "closure_type",
    "closure_period",
    "closure_start_date",
    "foi_exemption_code",
    "foi_exemption_asserted",
    "title_closed",
    "description_closed",
    "title_alternate",
)


@dataclass(frozen=True)
class Closure:
    closure_type: str = OPEN
    closure_period: int | None = None
    closure_start_date: date | None = None
    foi_exemption_code: str = ""
    foi_exemption_asserted: date | None = None
    title_closed: bool = False
    description_closed: bool = False
    title_alternate: str = ""


def problems(closure: Closure) -> list[str]:
    """What is wrong with a closure, in words (empty: it may be kept)."""
    found: list[str] = []
    if closure.closure_type not in (OPEN, CLOSED):
        return [f"closure_type must be {OPEN} or {CLOSED}, not {closure.closure_type!r}"]
    if closure.closure_type == OPEN:
        extra = [
            name
            for name in ("closure_period", "closure_start_date", "foi_exemption_asserted")
            if getattr(closure, name) is not None
        ]
        extra += [n for n in ("foi_exemption_code", "title_alternate") if getattr(closure, n)]
        extra += [n for n in ("title_closed", "description_closed") if getattr(closure, n)]
        if extra:
            found.append(f"an open record has no closure: leave out {', '.join(extra)}")
        return found
    if closure.closure_period is None or not 1 <= closure.closure_period <= 150:
        found.append("a closed record needs a closure_period of 1 to 150 years")
    if closure.closure_start_date is None:
        found.append("a closed record needs a closure_start_date")
    code = closure.foi_exemption_code.strip()
    if not code:
        found.append("a closed record needs an foi_exemption_code (e.g. 27(1) or 40(2))")
    elif not _EXEMPTION.match(code):
        found.append(f"foi_exemption_code {code!r} is not an FOI Act section such as 27(1)")
    if closure.title_closed and not closure.title_alternate.strip():
        found.append("a closed title needs a title_alternate to show instead")
    if closure.title_alternate.strip() and not closure.title_closed:
        found.append("title_alternate is only for a closed title (title_closed)")
    return found


def set_closure(
    session: Session, document_id: int, closure: Closure, *, actor: Principal
) -> RecordClosure:
    """Keep a record's closure (replacing any before); refused, naming each problem, when it
    breaks the rules."""
    require_records_manager(actor, "set a record's closure")
    get_visible_document(session, actor, document_id)
    wrong = problems(closure)
    if wrong:
        raise InvalidInputError(f"document {document_id}: " + "; ".join(wrong))
    row = session.get(RecordClosure, document_id)
    if row is None:
        row = RecordClosure(document_id=document_id)
        session.add(row)
    for name, value in asdict(closure).items():
        setattr(row, name, value.strip() if isinstance(value, str) else value)
    row.set_by, row.set_at = actor.username, clock.now()
    audit.record(
        session,
        actor.username,
        "document.closure",
        "document",
        document_id,
        closure_as_dict(row),
    )
    session.flush()
    return row


def closure_of(session: Session, document_id: int) -> Closure:
    """The record's closure (open when none was set)."""
    row = session.get(RecordClosure, document_id)
    if row is None:
        return Closure()
    return Closure(
        closure_type=row.closure_type,
        closure_period=row.closure_period,
        closure_start_date=row.closure_start_date,
        foi_exemption_code=row.foi_exemption_code,
        foi_exemption_asserted=row.foi_exemption_asserted,
        title_closed=row.title_closed,
        description_closed=row.description_closed,
        title_alternate=row.title_alternate,
    )


def closure_as_dict(closure: Closure | RecordClosure) -> dict[str, Any]:
    """TNA's closure fields as JSON values (dates as ISO days)."""
    return {
        "closure_type": closure.closure_type,
        "closure_period": closure.closure_period,
        "closure_start_date": _day(closure.closure_start_date),
        "foi_exemption_code": closure.foi_exemption_code,
        "foi_exemption_asserted": _day(closure.foi_exemption_asserted),
        "title_closed": closure.title_closed,
        "description_closed": closure.description_closed,
        "title_alternate": closure.title_alternate,
    }


def tna_cells(closure: Closure) -> dict[str, str]:
    """The closure fields as metadata.csv writes them (booleans as true/false, empty for none)."""
    return {
        k: ("true" if v else "false") if isinstance(v, bool) else ("" if v is None else str(v))
        for k, v in closure_as_dict(closure).items()
    }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None
