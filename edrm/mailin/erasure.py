"""What is left of a transmission when the record it came with is destroyed.

A transmission holds the message's headers as received: who sent it, to whom, its subject.
They are the record's content as much as its body is, so destruction takes them too. What
stays is the receipt (who filed it, when and how it came, and its receipt key), so that the
same message polled or delivered again is still known as filed once and is not filed anew.

Transmissions are never updated (a trigger refuses it): the row is deleted and its receipt
written again, in the caller's transaction (the destruction's `db` part), so a crash leaves
either the whole transmission or only its receipt, never half of each.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from edrm.db import table_of
from edrm.mailin.models import Transmission

#: `class_chosen_by` of a receipt whose transmission was destroyed with its record.
DESTROYED = "destroyed"

_RECEIPT = ("ingest_job_id", "receipt_key", "received_via", "received_at", "filed_as")


def forget_transmissions(session: Session, ingest_job_ids: Iterable[int]) -> int:
    """Reduce the transmissions of these ingest jobs to their receipts; how many there were."""
    ids = sorted(set(ingest_job_ids))
    if not ids:
        return 0
    table = table_of(Transmission)
    rows = session.execute(
        select(*(table.c[name] for name in _RECEIPT)).where(
            table.c.ingest_job_id.in_(ids), table.c.class_chosen_by != DESTROYED
        )
    ).all()
    if not rows:
        return 0
    session.execute(delete(table).where(table.c.ingest_job_id.in_([r.ingest_job_id for r in rows])))
    session.execute(
        insert(table),
        [
            {
                **row._asdict(),
                "envelope_sender": "",
                "envelope_recipients": [],
                "from_header": "",
                "to_header": "",
                "cc_header": "",
                "date_header": "",
                "sent_at": None,
                "message_id": "",
                "subject": "",
                "distribution": [],
                "class_chosen_by": DESTROYED,
            }
            for row in rows
        ],
    )
    return len(rows)
