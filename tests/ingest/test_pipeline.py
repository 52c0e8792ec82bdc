"""The whole pipeline on real files: every format files, hostile input fails with its reason
and stays in quarantine while the good files in the same batch still file."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from edrm.documents.models import Document, DocumentText
from edrm.ingest import jobs
from edrm.ingest.models import IngestJob
from edrm.ingest.worker import Worker
from edrm.runtime import Runtime
from tests.conftest import Cli
from tests.ingest import fixtures as fx

GOOD = {
    "born-digital.pdf": fx.born_digital_pdf,
    "scanned.pdf": fx.scanned_pdf,
    "page.png": fx.png,
    "photo.jpg": fx.jpeg,
    "pages.tiff": fx.tiff,
    "page.bmp": fx.bmp,
    "page.gif": fx.gif,
    "letter.docx": fx.docx,
    "budget.xlsx": fx.xlsx,
    "letter.odt": fx.odt,
    "budget.ods": fx.ods,
    "message.eml": fx.eml,
    "message.msg": fx.msg,
    "page.html": fx.html,
    "note.txt": fx.utf8_txt,
    "figures.csv": fx.csv,
    "letter.rtf": fx.rtf,
}
HOSTILE = {
    "empty.txt": (lambda: b"", "empty"),
    "truncated.pdf": (fx.truncated_pdf, "corrupt"),
    "encrypted.pdf": (fx.encrypted_pdf, "encrypted"),
    "bomb.png": (fx.bomb_png, "bomb"),
    "bomb.docx": (lambda: fx.zip_bomb_docx(60), "bomb"),
    "program.pdf": (fx.elf, "not_allowed"),
    "noise.docx": (fx.random_bytes, "not_allowed"),
    "cut.jpg": (fx.truncated_jpeg, "corrupt"),
}


@pytest.fixture
def worker(runtime: Runtime, world_plan: None) -> Iterator[Worker]:
    with Worker(runtime) as w:
        yield w


def _ingest(
    runtime: Runtime, worker: Worker, files: dict[str, bytes], *, into: str | None = None
) -> dict[str, IngestJob]:
    batch = jobs.new_batch()
    with runtime.uow() as s:
        for name, data in files.items():
            jobs.submit(
                s,
                runtime.blobs,
                io.BytesIO(data),
                name,
                jobs.Submission(submitted_by="system", source="cli", batch=batch, into_code=into),
            )
    finished = worker.drain(batch)
    return {j.original_name: j for j in finished}


def _document(runtime: Runtime, document_id: int | None) -> Document:
    assert document_id is not None
    with runtime.uow() as s:
        doc = s.get(Document, document_id)
        assert doc is not None
        s.expunge(doc)
        return doc


def _text(runtime: Runtime, document_id: int | None) -> str:
    with runtime.uow() as s:
        row = s.get(DocumentText, document_id)
        return row.text if row else ""


@pytest.mark.slow
def test_every_supported_format_is_filed(runtime: Runtime, worker: Worker) -> None:
    done = _ingest(runtime, worker, {n: make() for n, make in GOOD.items()}, into="FIN-AP-INV")
    for name in GOOD:
        job = done[name]
        assert job.outcome == "filed", f"{name}: {job.error}"
        assert _text(runtime, job.document_id).strip(), f"{name}: no text extracted"


def test_each_hostile_file_fails_with_its_reason_and_is_quarantined(
    runtime: Runtime, worker: Worker
) -> None:
    files = {name: make() for name, (make, _) in HOSTILE.items()}
    done = _ingest(runtime, worker, files, into="FIN-AP-INV")
    quarantined = {p.name for p in runtime.settings.quarantine_dir.iterdir()}
    for name, (_, reason) in HOSTILE.items():
        job = done[name]
        assert job.outcome == "failed", name
        assert job.error_reason == reason, f"{name}: {job.error}"
        assert job.error and job.error.startswith(name), "the error names the file"
        assert f"{job.id:06d}-{name}" in quarantined
        assert f"{job.id:06d}-{name}.json" in quarantined


def test_good_files_in_a_batch_with_hostile_ones_still_file(
    runtime: Runtime, worker: Worker
) -> None:
    files = {"note.txt": fx.utf8_txt(), "letter.docx": fx.docx()}
    files.update({name: make() for name, (make, _) in list(HOSTILE.items())[:4]})
    done = _ingest(runtime, worker, files, into="FIN-AP-INV")
    assert done["note.txt"].outcome == "filed"
    assert done["letter.docx"].outcome == "filed"
    assert sum(1 for j in done.values() if j.outcome == "failed") == 4


def test_a_born_digital_pdf_is_not_ocred(runtime: Runtime, worker: Worker) -> None:
    job = _ingest(runtime, worker, {"report.pdf": fx.born_digital_pdf()}, into="FIN-AP-INV")[
        "report.pdf"
    ]
    with runtime.uow() as s:
        pages = s.get(DocumentText, job.document_id).pages  # type: ignore[union-attr]
    assert pages and all(p["source"] == "text" for p in pages)


def test_a_scan_is_ocred_with_a_confidence_per_page(runtime: Runtime, worker: Worker) -> None:
    job = _ingest(runtime, worker, {"scan.pdf": fx.scanned_pdf()}, into="FIN-AP-INV")["scan.pdf"]
    with runtime.uow() as s:
        pages = s.get(DocumentText, job.document_id).pages  # type: ignore[union-attr]
    assert pages[0]["source"] == "ocr"
    assert 0 <= pages[0]["confidence"] <= 100


def test_an_all_white_page_is_filed_and_flagged_no_text(runtime: Runtime, worker: Worker) -> None:
    job = _ingest(runtime, worker, {"blank.png": fx.white_png()}, into="FIN-AP-INV")["blank.png"]
    assert job.outcome == "filed"
    assert _document(runtime, job.document_id).extra.get("no_text_found") is True


def test_a_pdf_named_docx_is_filed_with_the_mismatch_recorded(
    runtime: Runtime, worker: Worker
) -> None:
    job = _ingest(runtime, worker, {"report.docx": fx.born_digital_pdf()}, into="FIN-AP-INV")[
        "report.docx"
    ]
    assert job.outcome == "filed"
    extra = _document(runtime, job.document_id).extra
    assert extra["extension_mismatch"] is True
    assert extra["sniffed_type"] == "application/pdf"


def test_odd_file_names_are_made_safe_and_the_original_kept(
    runtime: Runtime, worker: Worker
) -> None:
    name = "../../\x1bodd" + "x" * 250 + ".txt"
    job = _ingest(runtime, worker, {name: fx.utf8_txt()}, into="FIN-AP-INV")[name]
    assert job.outcome == "filed"
    doc = _document(runtime, job.document_id)
    assert doc.extra["original_filename"] == name
    assert "/" not in job.safe_name and "\x1b" not in job.safe_name
    assert len(job.safe_name) <= 200


def test_a_tiff_with_a_corrupt_page_keeps_the_others(runtime: Runtime, worker: Worker) -> None:
    job = _ingest(runtime, worker, {"pages.tiff": fx.tiff_with_corrupt_page()}, into="FIN-AP-INV")[
        "pages.tiff"
    ]
    assert job.outcome == "filed"
    assert _document(runtime, job.document_id).extra["warnings"]


def test_the_same_bytes_twice_are_a_duplicate_linked_to_the_first(
    runtime: Runtime, worker: Worker
) -> None:
    first = _ingest(runtime, worker, {"a.txt": fx.utf8_txt()}, into="FIN-AP-INV")["a.txt"]
    second = _ingest(runtime, worker, {"b.txt": fx.utf8_txt()}, into="FIN-AP-INV")["b.txt"]
    assert second.outcome == "duplicate"
    assert second.document_id == first.document_id


def test_email_attachments_become_linked_child_documents(runtime: Runtime, worker: Worker) -> None:
    done = _ingest(runtime, worker, {"message.eml": fx.eml()}, into="FIN-AP-INV")
    parent = done["message.eml"]
    children = [j for j in done.values() if j.source == "attachment"]
    assert parent.outcome == "filed"
    assert children and all(c.outcome == "filed" for c in children)
    child = _document(runtime, children[0].document_id)
    assert child.relations == [{"type": "attachment_of", "document_id": parent.document_id}]


def test_a_marking_printed_in_the_text_raises_the_documents_marking(
    runtime: Runtime, worker: Worker
) -> None:
    body = b"OFFICIAL-SENSITIVE\n\nSupplier invoice INV-4411\nBank details follow.\n"
    job = _ingest(runtime, worker, {"inv.txt": body}, into="FIN-AP-INV")["inv.txt"]
    assert _document(runtime, job.document_id).marking_value == "OFFICIAL-SENSITIVE"


def test_a_printed_marking_never_lowers_the_chosen_one(runtime: Runtime, worker: Worker) -> None:
    batch = jobs.new_batch()
    with runtime.uow() as s:
        jobs.submit(
            s,
            runtime.blobs,
            io.BytesIO(b"OFFICIAL\n\nA routine note about invoices.\n"),
            "note.txt",
            jobs.Submission(
                submitted_by="system",
                source="cli",
                batch=batch,
                into_code="FIN-AP-INV",
                marking="SECRET",
            ),
        )
    (job,) = worker.drain(batch)
    assert _document(runtime, job.document_id).marking_value == "SECRET"


def test_without_a_destination_an_unsure_document_goes_to_triage(
    runtime: Runtime, worker: Worker
) -> None:
    job = _ingest(runtime, worker, {"misc.txt": b"Some words about nothing in particular.\n"})[
        "misc.txt"
    ]
    assert job.outcome == "triage"
    doc = _document(runtime, job.document_id)
    assert doc.status == "triage" and doc.node_id is None


def test_a_closed_destination_puts_the_document_on_triage_not_in_the_bin(
    runtime: Runtime, worker: Worker
) -> None:
    from edrm.fileplan.service import close_folder, create_folder

    with runtime.uow() as s:
        create_folder(s, "FIN-AP-INV-OLD", "FIN-AP-INV", "Old invoices")
        close_folder(s, "FIN-AP-INV-OLD")
    job = _ingest(runtime, worker, {"late.txt": fx.utf8_txt()}, into="FIN-AP-INV-OLD")["late.txt"]
    assert job.outcome == "triage"
    assert "closed" in _document(runtime, job.document_id).extra["filing_refused"]


def test_edrm_ingest_files_a_folder_and_prints_json_lines(
    cli: Cli, world_plan: None, tmp_path: Path
) -> None:
    folder = tmp_path / "pile"
    (folder / "sub").mkdir(parents=True)
    (folder / "note.txt").write_bytes(fx.utf8_txt())
    (folder / "sub" / "letter.docx").write_bytes(fx.docx())
    (folder / "program.pdf").write_bytes(fx.elf())
    result = cli("ingest", str(folder), "--into", "FIN-AP-INV", "--json")
    assert result.exit_code == 1, "a failed file makes the exit code non-zero"
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {Path(line["path"]).name: line["status"] for line in lines} == {
        "note.txt": "filed",
        "letter.docx": "filed",
        "program.pdf": "failed",
    }
    for line in lines:
        assert {"path", "status", "document_id", "class_code", "confidence", "error"} <= set(line)
    failed = next(line for line in lines if line["status"] == "failed")
    assert "program.pdf" in failed["error"]


def test_a_file_name_that_is_not_utf8_gets_its_own_result_and_the_batch_goes_on(
    cli: Cli, world_plan: None, tmp_path: Path
) -> None:
    """A real name with bytes that are not UTF-8 (0xff 0xfe) beside good files and a bad one:
    every file gets its line, the odd name is filed under a safe name with its bytes written
    out, and the exit code says one file failed; no traceback."""
    import os

    folder = tmp_path / "pile"
    folder.mkdir()
    odd = os.fsdecode(os.fsencode(str(folder)) + b"/report-\xff\xfe.txt")
    Path(odd).write_bytes(fx.utf8_txt())
    (folder / "note.txt").write_bytes(b"A second note about invoices.\n")
    (folder / "program.pdf").write_bytes(fx.elf())
    result = cli("ingest", str(folder), "--into", "FIN-AP-INV", "--json")
    assert result.exit_code == 1, result.output
    lines = {Path(line["path"]).name: line for line in map(json.loads, result.stdout.splitlines())}
    assert {name: line["status"] for name, line in lines.items()} == {
        "report-\\xff\\xfe.txt": "filed",
        "note.txt": "filed",
        "program.pdf": "failed",
    }
    shown = json.loads(
        cli("doc", "show", str(lines["report-\\xff\\xfe.txt"]["document_id"]), "--json").stdout
    )
    assert shown["versions"][0]["filename"] == "report-\ufffd\ufffd.txt"
    assert shown["metadata"]["original_filename"] == "report-\\xff\\xfe.txt"
    table = cli("ingest", str(folder), "--into", "FIN-AP-INV")
    assert "report-\\xff\\xfe.txt" in table.stdout and "3 file(s)" in table.stdout


def test_edrm_ingest_prints_a_summary_table(cli: Cli, world_plan: None, tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_bytes(fx.utf8_txt())
    result = cli("ingest", str(tmp_path / "note.txt"), "--into", "FIN-AP-INV")
    assert result.exit_code == 0
    assert "note.txt" in result.stdout
    assert "1 file(s): 1 filed" in result.stdout


def test_doc_show_json_has_text_metadata_and_suggestions(
    cli: Cli, world_plan: None, tmp_path: Path
) -> None:
    body = (
        "Supplier invoice INV-20431\n3 March 2025\n\nInvoice for services, VAT included.\n"
        "Contact jane.smith@example.com or 020 7946 0123. NI number QQ 12 34 56 C.\n"
    )
    (tmp_path / "invoice.txt").write_text(body)
    line = json.loads(
        cli("ingest", str(tmp_path / "invoice.txt"), "--into", "FIN-AP-INV", "--json").stdout
    )
    shown = json.loads(cli("doc", "show", str(line["document_id"]), "--json").stdout)
    assert "INV-20431" in shown["text"]
    assert shown["marking"] == "OFFICIAL"
    assert shown["metadata"]["document_date"] == "2025-03-03"
    assert "INV-20431" in shown["metadata"]["references"]
    assert shown["metadata"]["pii"]["email"] == 1
    assert shown["metadata"]["pii"]["ni_number"] == 1
    assert isinstance(shown["suggestions"], list)
    for suggestion in shown["suggestions"]:
        assert {"class_code", "confidence", "reason"} <= set(suggestion)


def test_edrm_ingest_of_a_missing_path_is_a_failed_line(cli: Cli, world_plan: None) -> None:
    result = cli("ingest", "/no/such/file.pdf", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "failed"


def test_a_job_for_a_document_already_ingested_by_a_dead_worker_is_not_filed_twice(
    runtime: Runtime, worker: Worker
) -> None:
    """The filing transaction re-checks ownership: a worker that lost its job files nothing."""
    from edrm.ingest.pipeline import process_job

    batch = jobs.new_batch()
    with runtime.uow() as s:
        job = jobs.submit(
            s,
            runtime.blobs,
            io.BytesIO(fx.utf8_txt()),
            "a.txt",
            jobs.Submission(
                submitted_by="system", source="cli", batch=batch, into_code="FIN-AP-INV"
            ),
        )
        job_id = job.id
    with runtime.uow() as s:
        jobs.claim(s, "gone:1:x", batch=batch)
    assert process_job(runtime.sessions, job_id, "someone-else", worker.ctx) == "lost"
    with runtime.uow() as s:
        assert s.scalar(select(Document.id)) is None


def test_a_batchs_progress_is_counted_as_its_jobs_finish(runtime: Runtime, worker: Worker) -> None:
    """`edrm ingest` follows its batch by these counts (loading every job after each one made a
    batch of thousands slow down as it went)."""
    batch = jobs.new_batch()
    with runtime.uow() as s:
        for n in range(3):
            jobs.submit(
                s,
                runtime.blobs,
                io.BytesIO(f"Note {n}\n\nAbout the budget.\n".encode()),
                f"note-{n}.txt",
                jobs.Submission(submitted_by="system", source="cli", batch=batch),
            )
    seen: list[tuple[int, int]] = []
    finished = worker.drain(batch, lambda done, total: seen.append((done, total)))
    assert seen[-1] == (3, 3) and seen[0][0] < 3
    assert sorted(j.original_name for j in finished) == ["note-0.txt", "note-1.txt", "note-2.txt"]
    with runtime.uow() as s:
        assert jobs.batch_progress(s, batch) == (3, 3)
        assert jobs.batch_progress(s, "no such batch") == (0, 0)
