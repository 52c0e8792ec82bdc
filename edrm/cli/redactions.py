"""`edrm redact`: redactions on a request's records (propose, approve, reject, list), and
`edrm request export` (the disclosure bundle), which the `request` group takes from here."""

from __future__ import annotations

from pathlib import Path

import click

from disclosure.bundle_export import bundle_for, write_file
from disclosure.record_pages import page_sizes, record_content
from disclosure.redaction_config import load_redaction_config
from disclosure.redactions import (
    Area,
    approve,
    propose,
    redaction_as_dict,
    redactions_for,
    reject,
    request_for,
)
from edrm.access import get_visible_document
from edrm.cli.common import ID, CliError, _json_out, _principal, as_option, friendly_errors, runtime


@click.group("redact")
def redact() -> None:
    """Redactions on a request's records: propose, approve (a second person), reject, list."""


@redact.command("propose")
@click.argument("document_id", metavar="DOC", type=ID)
@click.option("--request", "request_id", type=ID, required=True, help="The request's id.")
@click.option("--term", help="Redact every occurrence of this text (any case).")
@click.option("--page", type=click.IntRange(1, 100_000), help="The page of an area (from 1).")
@click.option(
    "--box",
    help="The area: X,Y,W,H from the page's top-left corner, as fractions of the page (0-1), "
    "or in PDF points (1/72 inch) when any number is above 1.",
)
@click.option("--exemption", required=True, help="An exemption code, e.g. s40, s43, reg12-4-b.")
@click.option("--note", default="", help="Why this is exempt (for the approver).")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def redact_propose(
    document_id: int,
    request_id: int,
    term: str | None,
    page: int | None,
    box: str | None,
    exemption: str,
    note: str,
    as_json: bool,
    as_user: str | None,
) -> None:
    """Propose a redaction on DOC for a request: a term, or an area of a page."""
    if (term is None) == (page is None and box is None):
        raise CliError("give either --term, or --page and --box")
    if term is None and (page is None or box is None):
        raise CliError("an area needs both --page and --box")
    with runtime() as rt:
        config = load_redaction_config(rt.settings)
        with rt.uow() as session:
            actor = _principal(session, as_user)
            area = None
            if term is None:
                assert page is not None and box is not None
                request_for(session, actor, request_id)  # not a request to them: not found
                get_visible_document(session, actor, document_id)
                record = record_content(session, rt.blobs, actor, document_id)
                area = Area.parse(page, box).box(page_sizes(record))
            redaction = propose(
                session,
                config,
                actor=actor,
                request_id=request_id,
                document_id=document_id,
                exemption=exemption,
                term=term,
                box=area,
                note=note,
            )
            out = {"id": redaction.id, "status": redaction.status}
    if as_json:
        _json_out(out)
        return
    click.echo(f"edrm: proposed redaction {out['id']} (a second person must approve it)")


@redact.command("approve")
@click.argument("redaction_id", metavar="RID", type=ID)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def redact_approve(redaction_id: int, as_json: bool, as_user: str | None) -> None:
    """Approve a proposed redaction (not your own)."""
    with runtime() as rt, rt.uow() as session:
        redaction = approve(session, _principal(session, as_user), redaction_id)
        out = {"id": redaction.id, "status": redaction.status}
    if as_json:
        _json_out(out)
        return
    click.echo(f"edrm: approved redaction {redaction_id}")


@redact.command("reject")
@click.argument("redaction_id", metavar="RID", type=ID)
@click.option("--reason", required=True, help="Why the redaction is not applied.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def redact_reject(redaction_id: int, reason: str, as_json: bool, as_user: str | None) -> None:
    """Reject a proposed redaction, saying why."""
    with runtime() as rt, rt.uow() as session:
        redaction = reject(session, _principal(session, as_user), redaction_id, reason)
        out = {"id": redaction.id, "status": redaction.status}
    if as_json:
        _json_out(out)
        return
    click.echo(f"edrm: rejected redaction {redaction_id}")


@redact.command("list")
@click.argument("request_id", metavar="ID", type=ID)
@click.option("--doc", "document_id", type=ID, help="Only this record's redactions.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def redact_list(
    request_id: int, document_id: int | None, as_json: bool, as_user: str | None
) -> None:
    """A request's redactions and their status."""
    with runtime() as rt, rt.uow() as session:
        found = redactions_for(
            session, _principal(session, as_user), request_id, document_id=document_id
        )
        rows = [redaction_as_dict(r) for r in found]
    if as_json:
        _json_out(rows)
        return
    if not rows:
        click.echo("edrm: no redactions")
    for row in rows:
        what = (
            f"term {row['term']!r}"
            if row["kind"] == "term"
            else f"area on page {row['box']['page']}"
        )
        click.echo(
            f"{row['id']:>5}  doc {row['document']:<6} {row['exemption']:<10} {row['status']:<9} "
            f"{what} (proposed by {row['proposed_by']})"
        )


@click.command("export")
@click.argument("request_id", metavar="ID", type=ID)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The bundle file to write (PDF).",
)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def request_export(request_id: int, output: Path, as_json: bool, as_user: str | None) -> None:
    """Write the disclosure bundle: the request's records as page images with the approved
    redactions burned in, and a fresh text layer without the redacted words."""
    with runtime() as rt:
        config = load_redaction_config(rt.settings)
        with rt.uow() as session:
            data, report = bundle_for(
                session,
                rt.blobs,
                config,
                actor=_principal(session, as_user),
                request_id=request_id,
            )
            # Written before the commit: a crash between leaves a file whose export the trail
            # does not show, never an audited export without its file.
            write_file(output, data)
    out = {"file": str(output), "pages": report.pages, "redactions": report.boxes}
    if as_json:
        _json_out(out)
        return
    click.echo(f"edrm: wrote {output} ({report.pages} pages, {report.boxes} redacted areas)")
