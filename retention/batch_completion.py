"""Completing a batch: once every item of an executing batch is `done`, its certificate of
destruction is issued (retention.certificates) and the batch becomes `complete`.

Crash story: each batch is certified in a transaction of its own, the batch row locked, so the
certificate, its filing and the batch's completion commit together or not at all. A batch left
executing (a crash, or a certificate that failed: reported, never raised) is certified by the
next run; a batch with an item still unfinished is left alone, so a certificate never reports
a destruction that did not finish.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import func, select

from edrm.access import Principal
from edrm.runtime import Runtime
from retention.certificates import issue_certificate
from retention.models import DisposalBatch, DisposalItem
from retention.progress import ExecutionResult

log = logging.getLogger(__name__)


def certify_finished_batches(
    rt: Runtime, *, actor: Principal, only: Sequence[int] | None = None
) -> ExecutionResult:
    """Issue the certificate of every executing batch whose items are all done."""
    result = ExecutionResult()
    with rt.uow() as session:
        stmt = select(DisposalBatch.id).where(DisposalBatch.status == "executing")
        if only is not None:
            stmt = stmt.where(DisposalBatch.id.in_(only))
        batch_ids = list(session.scalars(stmt.order_by(DisposalBatch.id)))
    for batch_id in batch_ids:
        if not _all_done(rt, batch_id):
            continue
        try:
            with rt.uow() as session:
                batch = session.get(DisposalBatch, batch_id, with_for_update=True)
                if batch is None or batch.status != "executing":
                    continue
                document = issue_certificate(rt, session, batch, actor=actor)
                result.certificates.append(document.id)
                result.batches.append(batch_id)
        except Exception as exc:
            log.exception("certificate of batch %s failed", batch_id)
            why = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
            result.problems.append(f"batch {batch_id}: certificate not issued: {why}")
    return result


def _all_done(rt: Runtime, batch_id: int) -> bool:
    """Whether the batch has items and every one of them is done."""
    with rt.uow() as session:
        in_batch = DisposalItem.batch_id == batch_id
        total = session.scalar(select(func.count()).where(in_batch)) or 0
        done = (
            session.scalar(select(func.count()).where(in_batch, DisposalItem.status == "done")) or 0
        )
    return bool(total) and done >= total
