"""Filing documents: versions on content-addressed blobs, markings, records, moves, metadata."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from edrm import audit
from edrm.access import SYSTEM, Principal
from edrm.documents.models import Document
from edrm.documents.representation import document_as_dict
from edrm.documents.service import (
    NewDocument,
    add_document,
    add_version,
    declare_record,
    move_document,
    open_content,
    update_metadata,
)
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.io import parse_csv
from edrm.fileplan.service import create_folder, import_rows
from edrm.markings import Marking
from edrm.runtime import Runtime
from tests.conftest import SMALL_PLAN_CSV, World

TEXT = b"Invoice 1001 from Acme Ltd\n\nAmount due: 120.00 GBP\n"


@pytest.fixture
def plan(session: Session) -> Session:
    """The small plan, in the test's session (not committed)."""
    import_rows(session, parse_csv(SMALL_PLAN_CSV))
    return session


def _file(
    session: Session,
    runtime: Runtime,
    into: str = "FIN-AP-INV",
    content: bytes = TEXT,
    *,
    filename: str = "invoice-1001.txt",
    marking: str | None = None,
    actor: Principal = SYSTEM,
) -> Document:
    return add_document(
        session,
        runtime.blobs,
        io.BytesIO(content),
        NewDocument(filename=filename, into_code=into, marking=marking),
        actor=actor,
    )


def _blob_files(runtime: Runtime) -> list[Path]:
    root = runtime.blobs.root
    return [p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp"]


def _doc(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    assert document is not None
    return document


# --- filing -------------------------------------------------------------------------------------


def test_filing_creates_version_one_with_the_blob_checksum_and_size(
    plan: Session, runtime: Runtime
) -> None:
    document = _file(plan, runtime)
    assert [v.number for v in document.versions] == [1]
    version = document.latest
    assert version.sha256 == hashlib.sha256(TEXT).hexdigest()
    assert version.size == len(TEXT)
    assert version.filename == "invoice-1001.txt"
    assert runtime.blobs.read_bytes(version.sha256) == TEXT


def test_filing_gives_an_edrm_identifier(plan: Session, runtime: Runtime) -> None:
    document = _file(plan, runtime)
    assert document.identifier == f"EDRM-{document.id:07d}"
    assert len(document.identifier) == len("EDRM-0000001")


def test_filing_sniffs_the_format_from_the_bytes(plan: Session, runtime: Runtime) -> None:
    document = _file(plan, runtime, filename="no-extension")
    assert document.format == "text/plain"
    assert document.latest.mime == "text/plain"


def test_filing_takes_the_title_from_the_file_name(plan: Session, runtime: Runtime) -> None:
    document = _file(plan, runtime, filename="supplier_invoice_1001.txt")
    assert document.title == "Supplier invoice 1001"


def test_filing_is_audited(plan: Session, runtime: Runtime) -> None:
    document = _file(plan, runtime)
    event = audit.history(plan, "document", document.id)[0]
    assert event.action == "document.create"
    assert event.details_dict["sha256"] == document.latest.sha256
    assert event.details_dict["node"] == "FIN-AP-INV"


def test_filing_the_same_bytes_twice_stores_the_blob_once(plan: Session, runtime: Runtime) -> None:
    first = _file(plan, runtime, filename="a.txt")
    second = _file(plan, runtime, filename="b.txt")
    assert first.id != second.id
    assert first.latest.sha256 == second.latest.sha256
    assert len(_blob_files(runtime)) == 1


def test_filing_into_a_function_is_refused(plan: Session, runtime: Runtime) -> None:
    with pytest.raises(InvalidInputError, match="function"):
        _file(plan, runtime, into="FIN")


def test_filing_into_an_unknown_node_is_not_found(plan: Session, runtime: Runtime) -> None:
    with pytest.raises(NotFoundError):
        _file(plan, runtime, into="NOPE")


# --- markings -----------------------------------------------------------------------------------


def test_the_marking_defaults_to_the_node_marking(plan: Session, runtime: Runtime) -> None:
    assert _file(plan, runtime, into="FIN-AP-INV").marking is Marking.OFFICIAL
    assert _file(plan, runtime, into="HR-CASE-DIS").marking is Marking.OFFICIAL_SENSITIVE


def test_the_marking_defaults_to_the_highest_along_the_path(
    plan: Session, runtime: Runtime
) -> None:
    create_folder(plan, "HR-CASE-DIS-1", "HR-CASE-DIS", "Case 1", marking="OFFICIAL")
    document = _file(plan, runtime, into="HR-CASE-DIS-1")
    assert document.marking is Marking.OFFICIAL_SENSITIVE


def test_a_document_may_be_marked_higher_than_its_class(plan: Session, runtime: Runtime) -> None:
    document = _file(plan, runtime, marking="secret")
    assert document.marking is Marking.SECRET


def test_an_explicit_marking_lower_than_the_class_default_is_refused(
    plan: Session, runtime: Runtime
) -> None:
    with pytest.raises(InvalidInputError, match="cannot be marked lower"):
        _file(plan, runtime, into="HR-CASE-DIS", marking="OFFICIAL")


def test_an_unknown_marking_is_refused(plan: Session, runtime: Runtime) -> None:
    with pytest.raises(InvalidInputError, match="unknown security marking"):
        _file(plan, runtime, marking="RESTRICTED")


def test_a_person_cannot_file_above_their_clearance(world: World, session: Session) -> None:
    with pytest.raises(RefusedError, match="clearance"):
        _file(session, world.runtime, marking="SECRET", actor=world.people["clerk"])


def test_a_person_cannot_raise_a_marking_above_their_clearance(
    world: World, session: Session
) -> None:
    with pytest.raises(RefusedError, match="clearance"):
        update_metadata(
            session, world.docs["invoice"], {"marking": "SECRET"}, actor=world.people["clerk"]
        )


def test_a_person_cannot_file_into_a_class_they_may_not_see(world: World, session: Session) -> None:
    with pytest.raises(NotFoundError):
        _file(session, world.runtime, into="HR-CASE-DIS", actor=world.people["analyst"])


# --- records, versions, metadata ----------------------------------------------------------------


def test_a_new_version_is_added_to_a_document(plan: Session, runtime: Runtime) -> None:
    document = _file(plan, runtime)
    version = add_version(plan, runtime.blobs, document.id, io.BytesIO(b"v2\n"), "v2.txt")
    assert version.number == 2
    assert [v.number for v in _doc(plan, document.id).versions] == [1, 2]
    assert runtime.blobs.read_bytes(document.versions[0].sha256) == TEXT


def test_declaring_makes_the_document_a_record(plan: Session, runtime: Runtime) -> None:
    document = _file(plan, runtime)
    declare_record(plan, document.id)
    assert document.is_record is True
    assert document.declared_at is not None
    assert document.declared_by == SYSTEM.username
    assert audit.history(plan, "document", document.id)[0].action == "document.declare"


def test_a_record_refuses_a_new_version(plan: Session, runtime: Runtime) -> None:
    document = _file(plan, runtime)
    declare_record(plan, document.id)
    with pytest.raises(RefusedError, match="declared record"):
        add_version(plan, runtime.blobs, document.id, io.BytesIO(b"changed"), "changed.txt")
    assert len(_doc(plan, document.id).versions) == 1


def test_a_record_still_allows_metadata_changes_which_are_audited(
    plan: Session, runtime: Runtime
) -> None:
    document = _file(plan, runtime, filename="invoice.txt")
    declare_record(plan, document.id)
    update_metadata(plan, document.id, {"title": "Invoice 1001", "subject": "Acme"})
    assert document.title == "Invoice 1001"
    event = audit.history(plan, "document", document.id)[0]
    assert event.action == "document.metadata"
    assert event.details_dict == {
        "before": {"title": "Invoice", "subject": ""},
        "after": {"title": "Invoice 1001", "subject": "Acme"},
    }


def test_a_metadata_change_that_changes_nothing_is_not_audited(
    plan: Session, runtime: Runtime
) -> None:
    document = _file(plan, runtime)
    events = len(audit.history(plan, "document", document.id))
    update_metadata(plan, document.id, {"title": document.title})
    assert len(audit.history(plan, "document", document.id)) == events


def test_fields_that_are_not_descriptive_metadata_cannot_be_changed(
    plan: Session, runtime: Runtime
) -> None:
    document = _file(plan, runtime)
    with pytest.raises(InvalidInputError, match="is_record"):
        update_metadata(plan, document.id, {"is_record": "false"})


def test_the_title_cannot_be_emptied(plan: Session, runtime: Runtime) -> None:
    document = _file(plan, runtime)
    with pytest.raises(InvalidInputError, match="title"):
        update_metadata(plan, document.id, {"title": "  "})


# --- moving -------------------------------------------------------------------------------------


def test_moving_is_audited_with_from_and_to(plan: Session, runtime: Runtime) -> None:
    create_folder(plan, "FIN-AP-INV-2024", "FIN-AP-INV", "Supplier invoices 2024-25")
    document = _file(plan, runtime)
    moved = move_document(plan, document.id, "FIN-AP-INV-2024")
    assert moved.folder_code == "FIN-AP-INV-2024"
    assert moved.class_code == "FIN-AP-INV"
    event = audit.history(plan, "document", document.id)[0]
    assert event.action == "document.move"
    assert event.details_dict == {"from": "FIN-AP-INV", "to": "FIN-AP-INV-2024"}


def test_a_document_cannot_move_where_its_marking_is_too_low(
    plan: Session, runtime: Runtime
) -> None:
    document = _file(plan, runtime)
    with pytest.raises(RefusedError, match="raise the document's marking"):
        move_document(plan, document.id, "HR-CASE-DIS")


# --- who may change -----------------------------------------------------------------------------


def test_a_civil_servant_who_did_not_file_a_document_cannot_change_it(
    world: World, session: Session
) -> None:
    analyst = world.people["analyst"]
    invoice = world.docs["invoice"]
    with pytest.raises(RefusedError):
        update_metadata(session, invoice, {"title": "Changed"}, actor=analyst)
    with pytest.raises(RefusedError):
        declare_record(session, invoice, actor=analyst)
    with pytest.raises(RefusedError):
        move_document(session, invoice, "FIN-AP-INV", actor=analyst)


def test_the_person_who_filed_a_document_can_change_it(world: World, session: Session) -> None:
    document = update_metadata(
        session, world.docs["invoice"], {"title": "Invoice 1001"}, actor=world.people["clerk"]
    )
    assert document.title == "Invoice 1001"


def test_the_records_manager_can_change_a_document_someone_else_filed(
    world: World, session: Session
) -> None:
    recman = world.people["recman"]
    document = update_metadata(session, world.docs["invoice"], {"title": "Renamed"}, actor=recman)
    assert document.title == "Renamed"
    assert audit.history(session, "document", document.id)[0].actor == "recman"


def test_reading_content_is_audited(plan: Session, runtime: Runtime) -> None:
    document = _file(plan, runtime)
    _doc_read, version = open_content(plan, runtime.blobs, document.id)
    assert version.number == 1
    event = audit.history(plan, "document", document.id)[0]
    assert event.action == "document.download"


def test_a_version_that_does_not_exist_is_not_found(plan: Session, runtime: Runtime) -> None:
    document = _file(plan, runtime)
    with pytest.raises(NotFoundError, match="no version 7"):
        open_content(plan, runtime.blobs, document.id, version=7)


# --- shape and file names -----------------------------------------------------------------------


def test_document_as_dict_has_the_required_keys(plan: Session, runtime: Runtime) -> None:
    data = document_as_dict(_file(plan, runtime))
    assert {
        "id",
        "title",
        "class_code",
        "folder_code",
        "marking",
        "is_record",
        "versions",
        "metadata",
    } <= set(data)
    assert data["class_code"] == "FIN-AP-INV"
    assert data["folder_code"] is None
    assert data["marking"] == "OFFICIAL"
    assert data["is_record"] is False
    assert data["versions"][0]["number"] == 1
    assert data["metadata"]["identifier"] == f"EDRM-{data['id']:07d}"
    assert data["metadata"]["format"] == "text/plain"


@pytest.mark.parametrize(
    ("filename", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("report\x00\x07.txt", "report__.txt"),
        ("line\nbreak.txt", "line_break.txt"),
    ],
)
def test_odd_file_names_are_made_safe_and_the_original_kept(
    plan: Session, runtime: Runtime, filename: str, safe: str
) -> None:
    document = _file(plan, runtime, filename=filename)
    assert document.latest.filename == safe
    assert document_as_dict(document)["metadata"]["original_filename"] == filename


def test_a_safe_file_name_is_not_recorded_twice(plan: Session, runtime: Runtime) -> None:
    document = _file(plan, runtime, filename="plain.txt")
    assert "original_filename" not in document_as_dict(document)["metadata"]
