"""Renditions (issue 17 part 1): every scan gets a searchable PDF/A-2b rendition made from the
OCR already done, an office file a PDF when LibreOffice is installed (and says so when it is
not); a rendition is not a version, is shown, fetched through the access module, and goes
with the record."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import func, select

from edrm.documents.models import Document, DocumentVersion
from edrm.ingest import jobs
from edrm.ingest.models import IngestJob
from edrm.ingest.worker import Worker
from edrm.renditions.models import Rendition
from edrm.renditions.office import NO_CONVERTER
from edrm.renditions.pdfa import pdfa_facts
from edrm.runtime import Runtime
from tests.conftest import Cli
from tests.ingest import fixtures as fx

SCAN_LINES = ["Supplier invoice INV-4471", "Amount due 1,250.00", "Payable within thirty days"]


@pytest.fixture
def worker(runtime: Runtime, world_plan: None) -> Iterator[Worker]:
    with Worker(runtime) as w:
        yield w


def ingest(runtime: Runtime, worker: Worker, files: dict[str, bytes]) -> dict[str, IngestJob]:
    batch = jobs.new_batch()
    with runtime.uow() as s:
        for name, data in files.items():
            jobs.submit(
                s,
                runtime.blobs,
                io.BytesIO(data),
                name,
                jobs.Submission(
                    submitted_by="system", source="cli", batch=batch, into_code="FIN-AP-INV"
                ),
            )
    return {j.original_name: j for j in worker.drain(batch)}


def renditions_of(runtime: Runtime, document_id: int | None) -> list[Rendition]:
    with runtime.uow() as s:
        found = list(s.scalars(select(Rendition).where(Rendition.document_id == document_id)))
        s.expunge_all()
    return found


def scan_png() -> bytes:
    """A page of text rendered with Pillow as a scanner would see it (nothing from ../shared)."""
    return fx.image_bytes(fx.text_image(SCAN_LINES), "PNG")


def text_layer(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_a_scanned_image_gets_a_searchable_pdfa_rendition_from_the_ocr_already_done(
    runtime: Runtime, worker: Worker
) -> None:
    done = ingest(runtime, worker, {"invoice.png": scan_png()})
    job = done["invoice.png"]
    found = renditions_of(runtime, job.document_id)
    assert [r.kind for r in found] == ["pdfa"]
    rendition = found[0]
    data = runtime.blobs.read_bytes(rendition.sha256)
    assert rendition.size == len(data) and rendition.mime == "application/pdf"
    facts = pdfa_facts(data)
    assert (facts.part, facts.conformance) == ("2", "B")
    assert facts.output_intent and facts.fonts and facts.fonts_embedded
    words = " ".join(text_layer(data).split())
    assert "Supplier invoice INV-4471" in words and "Amount due" in words
    with runtime.uow() as s:  # not a version: the original is still the only one
        versions = list(
            s.scalars(select(DocumentVersion).where(DocumentVersion.document_id == job.document_id))
        )
        assert [v.sha256 for v in versions] == [job.sha256] != [rendition.sha256]
        assert rendition.version_id == versions[0].id


def test_a_scanned_pdf_gets_one_pdfa_page_per_page_and_a_born_digital_one_none(
    runtime: Runtime, worker: Worker
) -> None:
    done = ingest(
        runtime, worker, {"scan.pdf": fx.scanned_pdf(pages=2), "typed.pdf": fx.born_digital_pdf()}
    )
    (rendition,) = renditions_of(runtime, done["scan.pdf"].document_id)
    data = runtime.blobs.read_bytes(rendition.sha256)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    assert "Scanned page 2" in " ".join(reader.pages[1].extract_text().split())
    assert pdfa_facts(data).fonts_embedded
    assert renditions_of(runtime, done["typed.pdf"].document_id) == []


def test_an_office_file_without_libreoffice_says_no_converter(
    runtime: Runtime, worker: Worker, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no soffice, whatever this machine has
    done = ingest(runtime, worker, {"letter.docx": fx.docx()})
    job = done["letter.docx"]
    assert job.document_id is not None and renditions_of(runtime, job.document_id) == []
    with runtime.uow() as s:
        doc = s.get(Document, job.document_id)
        assert doc is not None and doc.extra["rendition_note"] == NO_CONVERTER
    monkeypatch.undo()
    shown = json.loads(cli("doc", "show", str(job.document_id), "--json").output)
    assert shown["renditions"] == [] and shown["rendition_note"] == NO_CONVERTER


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
def test_an_office_file_gets_a_pdf_rendition_when_libreoffice_is_installed(
    runtime: Runtime, worker: Worker
) -> None:
    done = ingest(runtime, worker, {"letter.docx": fx.docx()})
    (rendition,) = renditions_of(runtime, done["letter.docx"].document_id)
    assert rendition.kind == "pdf"
    assert runtime.blobs.read_bytes(rendition.sha256).startswith(b"%PDF")


def test_the_same_reading_makes_the_same_rendition_bytes_in_another_process(
    tmp_path: Path,
) -> None:
    """A job done again after a crash (another worker process) stores the very same blob: no
    orphan, no second copy. Nothing in the PDF is of the moment: not the dates, nor the ICC
    profile's header."""
    image = tmp_path / "page.png"
    image.write_bytes(scan_png())
    program = (
        "import sys; from datetime import UTC, datetime; from pathlib import Path\n"
        "from edrm.ingest.types import OcrWord\n"
        "from edrm.renditions.pdfa import RenditionPage, searchable_pdfa\n"
        "page = RenditionPage(Path(sys.argv[1]), 0, (850, 1100), 100,"
        " (OcrWord('Supplier', 70, 90, 120, 20),))\n"
        "data = searchable_pdfa([page], 'scan', datetime(2026, 3, 1, tzinfo=UTC))\n"
        "Path(sys.argv[2]).write_bytes(data)\n"
    )
    made = []
    for n in range(2):
        target = tmp_path / f"made-{n}.pdf"
        subprocess.run([sys.executable, "-c", program, str(image), str(target)], check=True)
        made.append(target.read_bytes())
    assert made[0] == made[1]
    assert "Supplier" in text_layer(made[0])


def test_every_rendition_is_counted_once(runtime: Runtime, worker: Worker) -> None:
    ingest(runtime, worker, {"a.png": scan_png(), "b.tiff": fx.tiff(pages=2)})
    with runtime.uow() as s:
        assert s.scalar(select(func.count()).select_from(Rendition)) == 2


def test_doc_show_json_lists_renditions_and_doc_get_writes_one(
    runtime: Runtime, worker: Worker, cli: Cli, tmp_path: Path
) -> None:
    job = ingest(runtime, worker, {"invoice.png": scan_png()})["invoice.png"]
    (rendition,) = renditions_of(runtime, job.document_id)
    shown = json.loads(cli("doc", "show", str(job.document_id), "--json").output)
    assert shown["renditions"] == [
        {
            "kind": "pdfa",
            "sha256": rendition.sha256,
            "size": rendition.size,
            "created": rendition.created_at.isoformat(),
        }
    ]
    assert "rendition pdfa" in cli("doc", "show", str(job.document_id)).output
    target = tmp_path / "invoice.pdf"
    result = cli("doc", "get", str(job.document_id), "--rendition", "pdfa", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == runtime.blobs.read_bytes(rendition.sha256)
    original = tmp_path / "invoice.png"  # the existing options still fetch the original
    assert cli("doc", "get", str(job.document_id), "-o", str(original)).exit_code == 0
    assert original.read_bytes() == scan_png()
    with runtime.uow() as s:
        from edrm.audit import AuditEvent

        details = [
            e.details
            for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "document.download"))
        ]
    assert any(json.loads(d).get("rendition") == "pdfa" for d in details)


def test_doc_get_rendition_of_a_document_without_one_is_refused(
    runtime: Runtime, worker: Worker, cli: Cli, tmp_path: Path
) -> None:
    job = ingest(runtime, worker, {"note.txt": fx.utf8_txt()})["note.txt"]
    target = tmp_path / "x.pdf"
    result = cli("doc", "get", str(job.document_id), "--rendition", "pdfa", "-o", str(target))
    assert result.exit_code != 0 and "no pdfa rendition" in result.output
    assert not target.exists()
