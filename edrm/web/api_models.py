"""The shapes of the core API's requests and answers (documents, jobs, the file plan, search,
triage): pydantic models that validate what comes in and check what goes out, and from which
the OpenAPI document is generated. Extra members are allowed in answers (a document carries its
Dublin Core metadata and any extra properties), never in requests."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from edrm.web.api_style import Answer, PageQuery, Request, page_model

Binary = Annotated[Any, WithJsonSchema({"type": "string", "format": "binary"})]


class Job(Answer):
    """An ingest job: one uploaded file on its way to becoming a document."""

    id: int
    status: str
    outcome: str | None = None
    filename: str
    original_name: str
    size: int
    attempts: int
    document_id: int | None = None
    class_code: str | None = None
    confidence: float | None = None
    error_reason: str | None = None
    error: str | None = None
    created_at: str
    finished_at: str | None = None


class Submitted(Answer):
    jobs: list[Job]
    job_id: int | None = Field(None, description="when one file was sent")


class UploadForm(BaseModel):
    files: Binary = Field(description="the file (repeat the field for several)")
    into: str | None = Field(None, description="a file-plan class or folder code")
    marking: str | None = Field(None, description="a security marking, at least its class's")
    creator: list[str] | None = Field(
        None, description="a person who made the files (username, e-mail or name); repeat"
    )
    contributor: list[str] | None = Field(
        None, description="a person who contributed to the files; repeat the field for several"
    )


class UploadHeaders(BaseModel):
    model_config = ConfigDict(extra="allow")
    idempotency_key: str | None = Field(
        None,
        alias="Idempotency-Key",
        description="send the same key again with the same files: the first answer, once only",
    )


class Version(Answer):
    number: int
    sha256: str
    size: int
    filename: str
    mime: str
    created_at: str
    created_by: str | None = None


VersionPage = page_model(Version, "VersionPage")


class VersionForm(BaseModel):
    file: Binary = Field(description="the new content")


class NewVersionHeaders(BaseModel):
    model_config = ConfigDict(extra="allow")
    if_match: str | None = Field(None, alias="If-Match", description="the document's ETag")
    idempotency_key: str | None = Field(
        None, alias="Idempotency-Key", description="a retry with the same key: the first answer"
    )


class Location(Answer):
    """A further class or folder a record is filed in (multi-filing)."""

    code: str
    title: str
    kind: str
    class_code: str
    linked_at: str
    linked_by: str


class RenditionFacts(Answer):
    """A rendition of a version (a scan's searchable PDF/A): not a version, its own checksum."""

    kind: str
    sha256: str
    size: int
    created: str


class Document(Answer):
    """A document (or record): where it is filed, its marking, versions and metadata."""

    id: int
    title: str
    class_code: str | None = None
    folder_code: str | None = None
    marking: str
    status: str
    is_record: bool
    declared_at: str | None = None
    declared_by: str | None = None
    versions: list[Version]
    metadata: dict[str, Any]
    creators: list[str] = Field(default_factory=list, description="usernames of its creators")
    contributors: list[str] = Field(
        default_factory=list, description="usernames of the people who contributed to it"
    )
    also_filed_in: list[Location] = Field(
        default_factory=list, description="further classes and folders it is filed in"
    )
    renditions: list[RenditionFacts] = Field(
        default_factory=list, description="derived copies (a scan's searchable PDF/A)"
    )


class MetadataChange(Request):
    """Descriptive metadata to change, and why (kept in the audit trail)."""

    title: str | None = Field(None, min_length=1, max_length=500)
    description: str | None = Field(None, max_length=5000)
    creator: str | None = Field(None, max_length=200)
    subject: str | None = Field(None, max_length=500)
    doc_type: str | None = Field(None, max_length=100)
    language: str | None = Field(None, max_length=50)
    coverage: str | None = Field(None, max_length=200)
    marking: str | None = Field(None, max_length=40)
    reason: str = Field(min_length=1, max_length=500, description="why it changes")


class Move(Request):
    to: str = Field(min_length=1, max_length=100, description="the class or folder code")
    reason: str = Field("", max_length=500)


class Place(Request):
    code: str = Field(min_length=1, max_length=100, description="the class or folder code")


class Relation(Answer):
    """A link from this document to another one the person may see."""

    type: str = Field(description="e.g. attachment_of: this came attached to that")
    document_id: int


RelationPage = page_model(Relation, "RelationPage")


class Rendition(Answer):
    kind: str
    mime: str
    url: str
    sha256: str | None = None
    size: int | None = None
    created: str | None = None


class Renditions(Answer):
    items: list[Rendition]


class ContentQuery(Request):
    version: int | None = Field(None, ge=1, le=1_000_000)


class Node(Answer):
    """A file-plan node: a function, activity, class or folder."""

    code: str
    title: str
    kind: str
    parent: str | None = None
    closed: bool = False
    marking: str | None = None
    description: str | None = None


NodePage = page_model(Node, "NodePage")


class TreeQuery(PageQuery):
    folders: bool = Field(True, description="include folders")


class NewFolder(Request):
    code: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=500)


class SearchQuery(PageQuery):
    q: str = Field("", max_length=1000)
    facet: list[str] = Field(default_factory=list, description="NAME:VALUE, repeatable")
    sort: str = Field("relevance", pattern="^(relevance|date)$")


class Hit(Answer):
    id: int
    title: str


HitPage = page_model(Hit, "HitPage")


class SavedSearchIn(Request):
    name: str = Field(min_length=1, max_length=200)
    query: str = Field("", max_length=1000)
    filters: dict[str, list[str]] = Field(default_factory=dict)


class SavedSearchOut(Answer):
    id: int
    name: str
    query: str
    filters: dict[str, list[str]]
    created_at: str


SavedSearchPage = page_model(SavedSearchOut, "SavedSearchPage")


class TriageItem(Answer):
    id: int
    title: str


TriagePage = page_model(TriageItem, "TriagePage")


class TriageConfirm(Request):
    to: str = Field(min_length=1, max_length=100, description="the class or folder code")


class SearchPage(Answer):
    items: list[Hit]
    next: str | None = None
    total: int
    hits: list[Hit]


class IfMatchHeaders(BaseModel):
    model_config = ConfigDict(extra="allow")
    if_match: str | None = Field(
        None, alias="If-Match", description="the ETag from GET (required: 428 without it)"
    )


DocumentPage = page_model(Document, "DocumentPage")
