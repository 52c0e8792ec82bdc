"""`edrm fileplan` and `edrm folder`: the file plan (import, export, show) and its folders
(create, close)."""

from __future__ import annotations

from pathlib import Path

import click

from edrm.cli.common import _json_out, _principal, as_option, friendly_errors, runtime
from edrm.fileplan.io import read_file, write_csv, write_toml
from edrm.fileplan.service import (
    TreeNode,
    close_folder,
    create_folder,
    export_rows,
    import_rows,
    tree,
)


@click.group("fileplan")
def fileplan() -> None:
    """Import, export and show the file plan."""


@fileplan.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@as_option
@friendly_errors
def fileplan_import(file: Path, as_user: str | None) -> None:
    """Create or update nodes from a CSV or TOML file; a bad file changes nothing."""
    rows = read_file(file)
    with runtime() as rt, rt.uow() as session:
        summary = import_rows(session, rows, _principal(session, as_user))
    click.echo(
        f"edrm: file plan imported from {file}: {summary.created} created, "
        f"{summary.updated} updated, {summary.unchanged} unchanged"
    )


@fileplan.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "toml"]), default="csv")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to a file.")
@friendly_errors
def fileplan_export(fmt: str, output: Path | None) -> None:
    """Write the whole file plan (classes and folders) as CSV or TOML."""
    with runtime() as rt, rt.uow() as session:
        rows = export_rows(session)
    text = write_csv(rows) if fmt == "csv" else write_toml(rows)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"edrm: wrote {len(rows)} nodes to {output}", err=True)
    else:
        click.echo(text, nl=False)


@fileplan.command("show")
@click.option("--json", "as_json", is_flag=True)
@click.option("--no-folders", is_flag=True, help="Classes only.")
@as_option
@friendly_errors
def fileplan_show(as_json: bool, no_folders: bool, as_user: str | None) -> None:
    """Show the file plan as a tree (what the person may see)."""
    with runtime() as rt, rt.uow() as session:
        roots = tree(session, _principal(session, as_user), include_folders=not no_folders)
    if as_json:
        _json_out([r.as_dict() for r in roots])
        return

    def show(node: TreeNode, depth: int) -> None:
        flags = " [closed]" if node.closed else ""
        marking = "" if node.marking == "OFFICIAL" else f" ({node.marking})"
        click.echo(f"{'  ' * depth}{node.code}  {node.title}{marking}{flags}")
        for child in node.children:
            show(child, depth + 1)

    for root in roots:
        show(root, 0)


@click.group("folder")
def folder() -> None:
    """Create and close folders."""


@folder.command("create")
@click.argument("code")
@click.option("--under", "under", required=True, help="The class the folder sits in.")
@click.option("--title", required=True)
@click.option("--marking", default=None)
@as_option
@friendly_errors
def folder_create(
    code: str, under: str, title: str, marking: str | None, as_user: str | None
) -> None:
    """Create a folder under a class."""
    with runtime() as rt, rt.uow() as session:
        node = create_folder(
            session, code, under, title, actor=_principal(session, as_user), marking=marking
        )
        click.echo(f"edrm: folder {node.code} created under {under}")


@folder.command("close")
@click.argument("code")
@as_option
@friendly_errors
def folder_close(code: str, as_user: str | None) -> None:
    """Close a folder: nothing new can be filed in it."""
    with runtime() as rt, rt.uow() as session:
        close_folder(session, code, actor=_principal(session, as_user))
    click.echo(f"edrm: folder {code} closed")
