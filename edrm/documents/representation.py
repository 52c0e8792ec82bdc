"""A document as plain data: the shape `edrm doc show --json`, the API and transfer bags give
(identity, place, marking, versions, Dublin Core metadata, people and renditions)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session

from edrm.documents.contributors import people_of
from edrm.documents.models import Document
from edrm.renditions.service import described


def document_as_dict(document: Document) -> dict[str, Any]:
    """The JSON shape of `edrm doc show --json` and the API (for a document the caller has
    already checked the person may see)."""
    session = object_session(document)
    people = people_of(session, document.id) if session is not None else {}
    return {
        "id": document.id,
        "title": document.title,
        "class_code": document.class_code,
        "folder_code": document.folder_code,
        "marking": document.marking_value,
        "status": document.status,
        "is_record": document.is_record,
        "declared_at": document.declared_at.isoformat() if document.declared_at else None,
        "declared_by": document.declared_by,
        "versions": [
            {
                "number": v.number,
                "sha256": v.sha256,
                "size": v.size,
                "filename": v.filename,
                "mime": v.mime,
                "created_at": v.created_at.isoformat(),
                "created_by": v.created_by,
            }
            for v in document.versions
        ],
        "metadata": {
            "identifier": document.identifier,
            "title": document.title,
            "creator": document.creator,
            "subject": document.subject,
            "description": document.description,
            "type": document.doc_type,
            "format": document.format,
            "language": document.language,
            "coverage": document.coverage,
            "rights": document.marking_value,
            "created": document.created_at.isoformat(),
            "filed": document.filed_at.isoformat() if document.filed_at else None,
            "modified": document.modified_at.isoformat(),
            "relations": document.relations,
            **document.extra,
        },
        "creators": people.get("creators", []),
        "contributors": people.get("contributors", []),
        "renditions": described(session, document.id) if session is not None else [],
    }
