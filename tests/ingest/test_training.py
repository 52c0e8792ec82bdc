"""Triage corrections become training data; the retrained model is swapped in."""

from __future__ import annotations

import io

from sqlalchemy import select

from edrm.access import Principal
from edrm.ingest import jobs
from edrm.ingest.classify.model_files import load_current
from edrm.ingest.models import ClassificationCorrection
from edrm.ingest.triage import confirm, triage_items
from edrm.ingest.worker import Worker
from edrm.runtime import Runtime
from edrm.wiring.scheduler import run_job
from tests.conftest import World


def _ingest(runtime: Runtime, files: dict[str, bytes], by: str, into: str | None) -> None:
    batch = jobs.new_batch()
    with runtime.uow() as s:
        for name, data in files.items():
            jobs.submit(
                s,
                runtime.blobs,
                io.BytesIO(data),
                name,
                jobs.Submission(submitted_by=by, source="cli", batch=batch, into_code=into),
            )
    with Worker(runtime) as w:
        w.drain(batch)


def test_a_triage_choice_is_kept_as_a_correction(world: World) -> None:
    rt, clerk = world.runtime, world.people["clerk"]
    _ingest(rt, {"vague.txt": b"Words with no clue at all."}, "clerk", None)
    with rt.uow() as s:
        (item,) = triage_items(s, clerk)
        confirm(s, item["id"], "FIN-AP-INV", actor=clerk)
    with rt.uow() as s:
        (correction,) = s.scalars(select(ClassificationCorrection))
        assert correction.chosen_code == "FIN-AP-INV"
        assert correction.decided_by == "clerk"


def test_a_triage_list_shows_only_the_persons_own_documents(world: World) -> None:
    rt = world.runtime
    _ingest(rt, {"vague.txt": b"Words with no clue at all."}, "clerk", None)
    with rt.uow() as s:
        assert len(triage_items(s, world.people["clerk"])) == 1
        assert triage_items(s, world.people["analyst"]) == []
        assert len(triage_items(s, world.people["recman"])) == 1


def test_the_scheduled_retrain_learns_from_corrections(world: World) -> None:
    rt = world.runtime
    invoices = {
        f"inv-{n}.txt": f"Supplier invoice {n} for stationery, VAT, payment terms.".encode()
        for n in range(8)
    }
    incidents = {
        f"inc-{n}.txt": f"Security incident report {n}: badge tailgating at the gate.".encode()
        for n in range(8)
    }
    _ingest(rt, invoices, "system", "FIN-AP-INV")
    _ingest(rt, incidents, "system", "SEC-OPS-INC")
    _ingest(rt, {"odd.txt": b"Unusual zebra crossing survey notes."}, "clerk", None)
    clerk: Principal = world.people["clerk"]
    with rt.uow() as s:
        (item,) = triage_items(s, clerk)
        confirm(s, item["id"], "SEC-OPS-INC", actor=clerk)
    assert load_current(rt.settings.model_dir) is None
    result = run_job(rt, "classifier-retrain")
    assert result.startswith("trained on 17 documents in 2 classes"), result
    model = load_current(rt.settings.model_dir)
    assert model is not None


def test_a_retrain_on_many_classes_of_one_document_each_keeps_the_rules_and_says_why(
    world: World,
) -> None:
    """Enough documents in all, but no two classes with enough each (a small demo): the rules
    go on alone, with the reason, instead of the retrain failing."""
    rt = world.runtime
    _ingest(
        rt,
        {f"inv-{n}.txt": f"Invoice {n} for paper.".encode() for n in range(9)},
        "system",
        "FIN-AP-INV",
    )
    _ingest(
        rt, {"inc.txt": b"Security incident report: badge tailgating."}, "system", "SEC-OPS-INC"
    )

    result = run_job(rt, "classifier-retrain")

    assert "not enough filed documents" in result and "the rules alone apply" in result, result
    assert load_current(rt.settings.model_dir) is None
