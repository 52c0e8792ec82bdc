"""`edrm search`: full-text and faceted search as a person, and `edrm search reindex`, which
rebuilds the index from the database (the new index is swapped in only when complete, so a
crash mid-way leaves the old one in place).

The single word `reindex` is the rebuild; `--query TEXT` searches for any words as given,
`reindex` included.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy import func, select

from edrm.cli.common import (
    COUNT,
    CliError,
    _json_out,
    _principal,
    as_option,
    friendly_errors,
    runtime,
)
from edrm.documents.models import Document
from edrm.search_indexer import reindex
from edrm.search_service import catch_up, result_as_dict, search_documents
from search.base import SearchError


def _parse_facet_filters(values: tuple[str, ...]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for value in values:
        name, sep, wanted = value.partition("=")
        if not sep or not wanted:
            raise CliError(f"--filter {value!r}: use NAME=VALUE, e.g. --filter class=FIN-AP-INV")
        filters.setdefault(name.strip(), []).append(wanted.strip())
    return filters


@click.command("search")
@click.argument("words", nargs=-1)
@click.option(
    "--query",
    default=None,
    metavar="TEXT",
    help="Search for TEXT as given, any words (even 'reindex'); WORDS are added to it.",
)
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Hits per page."
)
@click.option("--page", type=COUNT, default=1, show_default=True)
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance")
@click.option("--filter", "filters", multiple=True, help="Facet filter NAME=VALUE (repeatable).")
@click.option("--json", "as_json", is_flag=True)
@as_option
@click.pass_context
@friendly_errors
def search(
    ctx: click.Context,
    words: tuple[str, ...],
    query: str | None,
    limit: int,
    page: int,
    sort: str,
    filters: tuple[str, ...],
    as_json: bool,
    as_user: str | None,
) -> None:
    """Search the records (`edrm search reindex` rebuilds the index from the database).

    Search for WORDS, or for --query TEXT: `edrm search --query reindex` finds the records
    that contain the word "reindex" instead of rebuilding the index.
    """
    if query is None and not words:
        raise click.MissingParameter(ctx=ctx, param_hint="'WORDS...'", param_type="argument")
    if query is None and words == ("reindex",):
        _reindex()
        return
    text = " ".join(words if query is None else (query, *words))
    with runtime() as rt:
        catch_up(rt)
        with rt.uow() as session:
            try:
                result = search_documents(
                    session,
                    rt,
                    _principal(session, as_user),
                    text,
                    filters=_parse_facet_filters(filters),
                    page=page,
                    per_page=limit,
                    sort=sort,  # type: ignore[arg-type]
                )
            except (SearchError, ValueError) as exc:
                raise CliError(str(exc)) from None
    _show(result_as_dict(result), as_json)


def _show(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _json_out(data)
        return
    if data["warning"]:
        click.echo(f"note: {data['warning']}")
    if data["did_you_mean"]:
        click.echo(f"did you mean: {data['did_you_mean']}")
    click.echo(f"{data['total']} result(s)")
    for hit in data["hits"]:
        click.echo(f"{hit['id']:>6}  {hit['score']:>7.2f}  {hit['class_code']:<16} {hit['title']}")


def _reindex() -> None:
    with runtime() as rt, rt.uow() as session:
        total = session.scalar(select(func.count()).select_from(Document)) or 0
    with runtime() as rt:
        if sys.stderr.isatty():
            with click.progressbar(length=total, label="Indexing", file=sys.stderr) as bar:
                state = {"done": 0}

                def progress(done: int) -> None:
                    bar.update(done - state["done"])
                    state["done"] = done

                count = reindex(rt.sessions, rt.search, progress)
        else:
            count = reindex(rt.sessions, rt.search)
    click.echo(f"edrm: search index rebuilt: {count} documents")
