"""Loading the demo: the default file plan, people of every role, folders and documents.

Runs once per data directory (a marker in system_state); a second run only reports.
Until the ingest pipeline exists the documents are filed directly.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import clock
from edrm.access import SYSTEM, Principal
from edrm.demo.corpus import DemoUser, demo_folders, demo_users, generate_documents
from edrm.documents.service import NewDocument, add_document, declare_record
from edrm.fileplan.io import read_file
from edrm.fileplan.models import FilePlanNode
from edrm.fileplan.service import close_folder, create_folder, import_rows
from edrm.markings import Marking
from edrm.people.models import User
from edrm.people.service import add_user
from edrm.settings import Settings
from edrm.storage import BlobStore
from edrm.system_state import get_state, set_state

DEMO_PASSWORD = "demo-password-2025"
DEMO_MARKER = "demo_loaded_at"


@dataclass(frozen=True)
class DemoResult:
    already_loaded: bool
    nodes: int
    users: int
    documents: int
    sign_in: list[DemoUser]


def load_demo(
    session: Session, blobs: BlobStore, settings: Settings, *, documents: int = 160
) -> DemoResult:
    users = demo_users()
    if get_state(session, DEMO_MARKER):
        return DemoResult(True, 0, 0, 0, users)
    node_count = session.scalar(select(func.count()).select_from(FilePlanNode)) or 0
    if node_count == 0:
        import_rows(session, read_file(settings.config_path(settings.fileplan_file)), SYSTEM)
    principals = _load_users(session, users)
    _load_folders(session)
    filed = _load_documents(session, blobs, principals, documents)
    set_state(session, DEMO_MARKER, clock.now().isoformat())
    nodes = session.scalar(select(func.count()).select_from(FilePlanNode)) or 0
    return DemoResult(False, nodes, len(users), filed, users)


def _load_users(session: Session, users: list[DemoUser]) -> dict[str, Principal]:
    principals: dict[str, Principal] = {}
    for person in users:
        existing = session.scalar(select(User).where(User.username == person.username))
        user = existing or add_user(
            session,
            person.username,
            DEMO_PASSWORD,
            person.role,
            person.clearance,
            groups=person.groups,
            full_name=person.full_name,
            email=f"{person.username}@example.gov.uk",
            unit=person.unit,
        )
        principals[person.username] = Principal.of(user)
    return principals


def _load_folders(session: Session) -> None:
    for folder in demo_folders():
        exists = session.scalar(select(FilePlanNode.id).where(FilePlanNode.code == folder.code))
        if exists:
            continue
        create_folder(session, folder.code, folder.parent_code, folder.title)
        if folder.closed:
            close_folder(session, folder.code)


def _load_documents(
    session: Session, blobs: BlobStore, principals: dict[str, Principal], count: int
) -> int:
    closed = {f.code for f in demo_folders() if f.closed}
    names = {u.username: u.full_name for u in demo_users()}
    filed = 0
    reopened: list[FilePlanNode] = []
    for item in generate_documents(count=count):
        actor = principals.get(item.creator, SYSTEM)
        if not actor.clearance.admits(Marking.parse(item.marking)):
            actor = SYSTEM
        if item.into_code in closed:
            # Historic demo records went in before their folder was closed.
            node = session.scalar(select(FilePlanNode).where(FilePlanNode.code == item.into_code))
            if node is not None and node.closed:
                node.closed = False
                reopened.append(node)
        document = add_document(
            session,
            blobs,
            io.BytesIO(item.content),
            NewDocument(
                filename=item.filename,
                into_code=item.into_code,
                title=item.title,
                marking=item.marking,
                creator=names.get(item.creator, item.creator),
                description=item.description,
                doc_type=item.doc_type,
                created_at=item.created,
            ),
            actor=actor,
        )
        if item.declare_record:
            declare_record(session, document.id, actor=SYSTEM)
        filed += 1
    for node in reopened:
        node.closed = True
    session.flush()
    return filed
