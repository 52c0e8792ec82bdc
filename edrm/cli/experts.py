"""`edrm expert`: Find people who know about a topic."""

from __future__ import annotations

import json
from pathlib import Path

import click

from edrm.cli.common import CliError, _json_out, _principal, as_option, friendly_errors, runtime
from edrm.search_service import catch_up
from harvest.directory.taxonomy import taxonomy_for
from harvest.expert_search import find_experts
from search.base import SearchError


@click.group("expert")
def expert() -> None:
    """Find people who know about a topic."""


def _print(data: dict) -> None:
    if data["warning"]:
        click.echo(f"note: {data['warning']}")
    if not data["people"]:
        click.echo("No one found.")
        return
    click.echo(f"Searched for: {', '.join(data['terms'])}")
    for n, person in enumerate(data["people"], start=1):
        where = " · ".join(x for x in (person["unit"], person["location"]) if x)
        left = ""
        if person["left"]:
            left = f" [left; ask {person['successor']}]" if person["successor"] else " [left]"
        click.echo(
            f"{n:>2}. {person['name']} ({person['username']}) {person['score']:.2f}"
            f"{'  ' + where if where else ''}{left}"
        )
        for e in person["evidence"]:
            if e["kind"] == "inferred":
                click.echo(f"      inferred  record {e['document_id']}: {e['title']} ({e['via']})")
            else:
                extra = f", {e['endorsements']} endorsement(s)" if e["endorsements"] else ""
                click.echo(f"      {e['kind']:<9} {e['title']} (level {e['level']}{extra})")


@expert.command("find")
@click.argument("query", nargs=-1)
@click.option(
    "--batch",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Read one query per line from FILE ('-' for standard input).",
)
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def expert_find(
    query: tuple[str, ...], batch: Path | None, limit: int, as_json: bool, as_user: str | None
) -> None:
    """Who knows about QUERY? People ranked by the records they created or worked on that match
    (only records the asker may see), and their declared and endorsed skills. With --batch
    --json, one JSON line per query line, in order."""
    if batch is None and not query:
        raise CliError("give a QUERY, or --batch FILE")
    if batch is not None and query:
        raise CliError("give either a QUERY or --batch FILE, not both")
    if batch is not None:
        stream = click.open_file(str(batch), encoding="utf-8")
        queries = None
    else:
        stream = None
        queries = [" ".join(query)]
    with runtime() as rt:
        catch_up(rt)
        taxonomy = taxonomy_for(rt.settings)
        with rt.uow() as session:
            asker = _principal(session, as_user)

            def answer(text: str) -> dict:
                try:
                    found = find_experts(session, rt, asker, text, limit=limit, taxonomy=taxonomy)
                except (SearchError, ValueError) as exc:
                    raise CliError(str(exc)) from None
                return found.as_dict()

            if queries is not None:
                data = answer(queries[0])
                if as_json:
                    _json_out(data)
                else:
                    _print(data)
                return
            assert stream is not None
            with stream:
                for line in stream:
                    text = line.strip()
                    data = (
                        answer(text)
                        if text
                        else {"query": "", "terms": [], "records": 0, "warning": None, "people": []}
                    )
                    if as_json:
                        click.echo(json.dumps(data, ensure_ascii=False, default=str))
                    else:
                        click.echo(f"== {text}")
                        _print(data)
