"""`edrm doc`: documents filed directly (add), and what a person may do with one: show its
metadata and retention, declare it a record, move it, link it into further classes or folders
(and unlink it), fetch a version's content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from edrm.access import get_visible_document
from edrm.cli.common import ID, CliError, _json_out, _principal, as_option, friendly_errors, runtime
from edrm.documents.links import link_document, links_as_list, unlink_document
from edrm.documents.representation import document_as_dict
from edrm.documents.service import (
    NewDocument,
    add_document,
    declare_record,
    move_document,
    note_view,
    open_content,
)
from retention.schedule import ensure_schedule, retention_of
from retention.vital import (
    clear_vital,
    review_vital,
    set_vital,
    vital_as_dict,
    vital_of,
    vital_report,
)


@click.group("doc")
def doc() -> None:
    """File, show, declare, move and fetch documents."""


@doc.command("add")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--into", "into", required=True, help="Class or folder code.")
@click.option("--title", default="")
@click.option("--marking", default=None)
@click.option("--creator", default="")
@click.option("--description", default="")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def doc_add(
    file: Path,
    into: str,
    title: str,
    marking: str | None,
    creator: str,
    description: str,
    as_json: bool,
    as_user: str | None,
) -> None:
    """File a document directly (without the ingest pipeline)."""
    if not file.is_file():
        raise CliError(f"{file}: no such file")
    with runtime() as rt, rt.uow() as session, file.open("rb") as fh:
        document = add_document(
            session,
            rt.blobs,
            fh,
            NewDocument(
                filename=file.name,
                into_code=into,
                title=title,
                marking=marking,
                creator=creator,
                description=description,
            ),
            actor=_principal(session, as_user),
        )
        data = document_as_dict(document)
    if as_json:
        _json_out(data)
    else:
        click.echo(f"edrm: filed document {data['id']} '{data['title']}' in {into}")


@doc.command("show")
@click.argument("document_id", type=ID)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def doc_show(document_id: int, as_json: bool, as_user: str | None) -> None:
    """Show a document's metadata and versions."""
    from edrm.ingest.pipeline import document_ingest_view  # heavy: loads the format readers

    with runtime() as rt, rt.uow() as session:
        actor = _principal(session, as_user)
        document = get_visible_document(session, actor, document_id)
        note_view(session, document, actor, every=rt.settings.audit_all_views)
        data = document_as_dict(document)
        data.update(document_ingest_view(session, document, actor))
        ensure_schedule(session, rt.settings)
        data["retention"] = retention_of(session, document)
        data.update(vital_as_dict(vital_of(session, document.id)))
        data["also_filed_in"] = links_as_list(document)
        data["rendition_note"] = (document.extra or {}).get("rendition_note")
    if as_json:
        _json_out(data)
        return
    click.echo(f"{data['id']}: {data['title']}")
    click.echo(f"  class {data['class_code']}  folder {data['folder_code'] or '-'}")
    click.echo(f"  marking {data['marking']}  record {'yes' if data['is_record'] else 'no'}")
    if data["also_filed_in"]:
        click.echo(f"  also filed in {', '.join(p['code'] for p in data['also_filed_in'])}")
    kept = data["retention"]
    if kept["rule"]:
        due = kept["due"] or ("never" if kept["state"] == "permanent" else "when triggered")
        held = f"  under hold {', '.join(map(str, kept['holds']))}" if kept["holds"] else ""
        click.echo(f"  retention {kept['rule']}: {kept['action']} {due}{held}")
    for v in data["versions"]:
        click.echo(f"  v{v['number']} {v['filename']} {v['size']} bytes {v['sha256'][:12]}")
    for r in data["renditions"]:
        click.echo(f"  rendition {r['kind']} {r['size']} bytes {r['sha256'][:12]} {r['created']}")
    if data["rendition_note"]:
        click.echo(f"  rendition: {data['rendition_note']}")


@doc.command("declare")
@click.argument("document_id", type=ID)
@as_option
@friendly_errors
def doc_declare(document_id: int, as_user: str | None) -> None:
    """Declare a document a record: its content can no longer change."""
    with runtime() as rt, rt.uow() as session:
        declare_record(session, document_id, actor=_principal(session, as_user))
    click.echo(f"edrm: document {document_id} declared a record")


@doc.command("move")
@click.argument("document_id", type=ID)
@click.option("--to", "to", required=True, help="Target class or folder code.")
@as_option
@friendly_errors
def doc_move(document_id: int, to: str, as_user: str | None) -> None:
    """Move a document to another class or folder (not into a closed folder)."""
    with runtime() as rt, rt.uow() as session:
        move_document(session, document_id, to, actor=_principal(session, as_user))
    click.echo(f"edrm: document {document_id} moved to {to}")


def _placed(document_id: int, changed: bool, data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _json_out({"id": document_id, "changed": changed, **data})
        return
    places = ", ".join(p["code"] for p in data["also_filed_in"]) or "no further place"
    click.echo(f"edrm: document {document_id} is filed in {data['class_code']} and {places}")


@doc.command("link")
@click.argument("document_id", type=ID)
@click.option("--to", "to", required=True, help="The further class or folder code.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def doc_link(document_id: int, to: str, as_json: bool, as_user: str | None) -> None:
    """File a record in a further class or folder too (it appears in each of its places)."""
    with runtime() as rt, rt.uow() as session:
        document, changed = link_document(
            session, document_id, to, actor=_principal(session, as_user)
        )
        data = {"class_code": document.class_code, "also_filed_in": links_as_list(document)}
    _placed(document_id, changed, data, as_json)


@doc.command("unlink")
@click.argument("document_id", type=ID)
@click.option("--from", "from_code", required=True, help="The class or folder it is linked into.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def doc_unlink(document_id: int, from_code: str, as_json: bool, as_user: str | None) -> None:
    """Take a record out of a further class or folder it is linked into."""
    with runtime() as rt, rt.uow() as session:
        document, changed = unlink_document(
            session, document_id, from_code, actor=_principal(session, as_user)
        )
        data = {"class_code": document.class_code, "also_filed_in": links_as_list(document)}
    _placed(document_id, changed, data, as_json)


@doc.command("get")
@click.argument("document_id", type=ID)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@click.option("--version", "version", type=ID, default=None, help="Version number (latest).")
@click.option(
    "--rendition",
    "rendition",
    type=click.Choice(["pdfa", "pdf"]),
    default=None,
    help="A rendition of the latest version instead (pdfa: a scan's searchable PDF/A).",
)
@as_option
@friendly_errors
def doc_get(
    document_id: int, output: Path, version: int | None, rendition: str | None, as_user: str | None
) -> None:
    """Write a document's content (or a rendition of it) to a file."""
    if rendition is not None:
        if version is not None:
            raise CliError("--rendition is of the latest version: leave out --version")
        _get_rendition(document_id, output, rendition, as_user)
        return
    with runtime() as rt, rt.uow() as session:
        _doc, chosen = open_content(
            session, rt.blobs, document_id, actor=_principal(session, as_user), version=version
        )
        rt.blobs.copy_to(chosen.sha256, output)
    click.echo(f"edrm: wrote version {chosen.number} ({chosen.size} bytes) to {output}")


def _get_rendition(document_id: int, output: Path, kind: str, as_user: str | None) -> None:
    from edrm.renditions.service import open_rendition

    with runtime() as rt, rt.uow() as session:
        actor = _principal(session, as_user)
        _doc, found = open_rendition(session, rt.blobs, document_id, kind, actor)
        rt.blobs.copy_to(found.sha256, output)
    click.echo(f"edrm: wrote the {kind} rendition ({found.size} bytes) to {output}")


@doc.command("vital")
@click.argument("document_id", type=ID)
@click.option("--set", "action", flag_value="set", help="Mark the record as vital.")
@click.option("--clear", "action", flag_value="clear", help="Take the vital flag off.")
@click.option("--reviewed", "action", flag_value="reviewed", help="Reviewed: still vital.")
@click.option("--reason", default="", help="Why (needed to set or clear the flag).")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def doc_vital(
    document_id: int, action: str | None, reason: str, as_json: bool, as_user: str | None
) -> None:
    """Mark a record as vital, clear the flag, or note its review (records managers)."""
    if action is None:
        raise CliError("say what to do: --set, --clear or --reviewed")
    with runtime() as rt, rt.uow() as session:
        actor = _principal(session, as_user)
        months = rt.settings.vital_review_months
        if action == "set":
            set_vital(session, document_id, reason, actor=actor, cycle_months=months)
        elif action == "clear":
            clear_vital(session, document_id, reason, actor=actor)
        else:
            review_vital(session, document_id, reason, actor=actor, cycle_months=months)
        data = {"id": document_id, **vital_as_dict(vital_of(session, document_id))}
    if as_json:
        _json_out(data)
    elif data["vital"]:
        click.echo(f"edrm: document {document_id} is vital; next review {data['vital_review_due']}")
    else:
        click.echo(f"edrm: document {document_id} is no longer vital")


@doc.command("vital-records")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def doc_vital_records(as_json: bool, as_user: str | None) -> None:
    """The vital-records report: every vital record you may see, by class (records managers)."""
    with runtime() as rt, rt.uow() as session:
        entries = vital_report(session, _principal(session, as_user))
    rows = [{**e.__dict__, "review_due": e.review_due.isoformat()} for e in entries]
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        late = "  REVIEW OVERDUE" if r["overdue"] else ""
        due = f"review {r['review_due']}{late}"
        click.echo(f"{r['class_code']:<16} {r['document_id']:>6} {r['title']}  {due}")
