"""Names a person reads for the values the search engine counts and filters on.

The engine's values are codes: a file-plan class or folder code (`FIN-AP-INV`), a document type
or, when a document has none, its media type (`application/pdf`), a creator as filed (sometimes
a username). A page shows the name and keeps the code in its links, so the filters in a URL
stay the same. A class or folder is named only when the person may see it: any other code is
shown as it is, exactly as a code that names nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import Principal, visible_node_ids
from edrm.fileplan.models import FilePlanNode
from edrm.people.models import User

#: Media types (as the sniffer reports them) in plain words, for documents with no type of
#: their own.
MEDIA_TYPE_NAMES: Mapping[str, str] = {
    "application/pdf": "PDF document",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/tiff": "TIFF image",
    "image/bmp": "Bitmap image",
    "image/x-ms-bmp": "Bitmap image",
    "image/gif": "GIF image",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "message/rfc822": "Email message",
    "application/vnd.ms-outlook": "Outlook message",
    "application/CDFV2": "Outlook message",
    "text/html": "Web page",
    "text/plain": "Plain text",
    "text/csv": "CSV file",
    "text/rtf": "Rich text document",
    "application/rtf": "Rich text document",
    "text/markdown": "Markdown text",
}

#: The facets and filters whose values are file-plan codes.
NODE_FILTERS = ("class", "folder")


def type_name(value: str) -> str:
    """A document type as a person reads it: a media type in plain words, any other type with
    a capital first letter ("policy paper" -> "Policy paper", "HR form" stays)."""
    if value in MEDIA_TYPE_NAMES:
        return MEDIA_TYPE_NAMES[value]
    return value[:1].upper() + value[1:]


@dataclass(frozen=True)
class FilterNames:
    """The name for each (filter, value) pair a page shows; `code(...)` is the code worth showing
    beside it in small type (a class's or folder's), or "" when the name says it all."""

    nodes: Mapping[str, str] = field(default_factory=dict)
    people: Mapping[str, str] = field(default_factory=dict)

    def name(self, filter_name: str, value: str) -> str:
        if filter_name in NODE_FILTERS:
            return self.nodes.get(value, value)
        if filter_name == "type":
            return type_name(value)
        if filter_name == "creator":
            return self.people.get(value, value)
        return value

    def code(self, filter_name: str, value: str) -> str:
        if filter_name in NODE_FILTERS and value in self.nodes:
            return value
        return ""


def filter_names(
    session: Session, principal: Principal, values: Mapping[str, Iterable[str]]
) -> FilterNames:
    """Names for `values` (filter name -> the values on the page): class and folder titles for
    the codes of nodes the person may see, and people's names for creators filed as a username."""
    codes = {v for name in NODE_FILTERS for v in values.get(name, ()) if v}
    nodes: dict[str, str] = {}
    if codes:
        visible = visible_node_ids(session, principal)
        rows = session.execute(
            select(FilePlanNode.id, FilePlanNode.code, FilePlanNode.title).where(
                FilePlanNode.code.in_(sorted(codes))
            )
        )
        nodes = {code: title for node_id, code, title in rows if node_id in visible and title}
    usernames = {v for v in values.get("creator", ()) if v}
    people: dict[str, str] = {}
    if usernames:
        named = session.execute(
            select(User.username, User.full_name).where(User.username.in_(sorted(usernames)))
        )
        people = {username: full for username, full in named if full}
    return FilterNames(nodes=nodes, people=people)
