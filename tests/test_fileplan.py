"""The file plan: importing (all or nothing), exporting, folders, and browsing what one may see."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import audit
from edrm.access import SYSTEM, Principal
from edrm.cli import main as cli_main
from edrm.documents.service import NewDocument, add_document, move_document
from edrm.errors import InvalidInputError, RefusedError
from edrm.fileplan.io import NodeRow, parse_csv, read_file, write_csv
from edrm.fileplan.models import FilePlanNode, NodeKind
from edrm.fileplan.service import (
    ImportSummary,
    TreeNode,
    close_folder,
    create_folder,
    export_rows,
    import_rows,
    tree,
)
from edrm.markings import Marking
from edrm.people.roles import Role
from edrm.runtime import Runtime
from edrm.settings import DEFAULT_CONFIG_DIR
from tests.conftest import SMALL_PLAN_CSV, Cli, World

DEFAULT_PLAN = DEFAULT_CONFIG_DIR / "fileplan.toml"
HEADER = "code,parent,kind,title,description,marking,access,owner_unit,retention,closed\n"


def _import_default_plan(session: Session) -> ImportSummary:
    return import_rows(session, read_file(DEFAULT_PLAN))


def _import_small_plan(session: Session) -> None:
    import_rows(session, parse_csv(SMALL_PLAN_CSV))


def _counts(runtime: Runtime) -> tuple[int, int]:
    """Nodes and audit events, read in a fresh session."""
    with runtime.uow() as fresh:
        nodes = fresh.scalar(select(func.count()).select_from(FilePlanNode)) or 0
        events = fresh.scalar(select(func.count()).select_from(audit.AuditEvent)) or 0
    return nodes, events


def _rejection(session: Session, csv_text: str) -> str:
    with pytest.raises(InvalidInputError) as caught:
        import_rows(session, parse_csv(HEADER + csv_text))
    return str(caught.value)


def _codes(nodes: list[TreeNode]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        found.add(node.code)
        found |= _codes(node.children)
    return found


def _person(clearance: Marking, *groups: str, role: Role = Role.CIVIL_SERVANT) -> Principal:
    return Principal(
        username="someone",
        role=role,
        clearance=clearance,
        groups=frozenset({"all-staff", *groups}),
        user_id=None,
    )


# --- the shipped default plan ------------------------------------------------------------------


def test_the_default_plan_imports_cleanly(session: Session) -> None:
    rows = read_file(DEFAULT_PLAN)
    summary = _import_default_plan(session)
    assert summary == ImportSummary(created=len(rows), updated=0, unchanged=0)


def test_the_default_plan_has_enough_functions_and_classes(session: Session) -> None:
    _import_default_plan(session)
    nodes = session.scalars(select(FilePlanNode)).all()
    functions = [n for n in nodes if n.kind is NodeKind.FUNCTION]
    classes = [n for n in nodes if n.kind.is_class]
    assert len(functions) >= 8
    assert len(classes) >= 35


def test_the_default_plan_has_exactly_three_class_levels(session: Session) -> None:
    _import_default_plan(session)
    nodes = session.scalars(select(FilePlanNode)).all()
    depths = {len(n.path()) for n in nodes if n.kind.is_class}
    assert depths == {1, 2, 3}


def test_in_the_default_plan_activities_sit_under_functions_and_transactions_under_activities(
    session: Session,
) -> None:
    _import_default_plan(session)
    for node in session.scalars(select(FilePlanNode)):
        if node.kind is NodeKind.FUNCTION:
            assert node.parent is None, node.code
        elif node.kind is NodeKind.ACTIVITY:
            assert node.parent is not None and node.parent.kind is NodeKind.FUNCTION, node.code
        elif node.kind is NodeKind.TRANSACTION:
            assert node.parent is not None and node.parent.kind is NodeKind.ACTIVITY, node.code


# --- import errors name the row -----------------------------------------------------------------


def test_a_duplicate_code_is_rejected_naming_the_row(session: Session) -> None:
    message = _rejection(
        session,
        "FIN,,function,Finance,,OFFICIAL,,,,false\n"
        "FIN,,function,Finance again,,OFFICIAL,,,,false\n",
    )
    assert "row 3 (FIN): duplicate code (also at row 2)" in message


def test_an_unknown_parent_is_rejected_naming_the_row(session: Session) -> None:
    message = _rejection(
        session,
        "FIN,,function,Finance,,OFFICIAL,,,,false\n"
        "FIN-AP,NOPE,activity,Accounts payable,,OFFICIAL,,,,false\n",
    )
    assert "row 3 (FIN-AP): unknown parent 'NOPE'" in message


def test_a_cycle_is_rejected_naming_the_row(session: Session) -> None:
    message = _rejection(
        session,
        "AAA,BBB,activity,First,,OFFICIAL,,,,false\nBBB,AAA,activity,Second,,OFFICIAL,,,,false\n",
    )
    problems = message.split("; ")
    assert any("row 2 (AAA)" in p and "cycle" in p for p in problems), message
    assert any("row 3 (BBB)" in p and "cycle" in p for p in problems), message


def test_a_missing_title_is_rejected_naming_the_row(session: Session) -> None:
    message = _rejection(session, "FIN,,function,,,OFFICIAL,,,,false\n")
    assert "row 2 (FIN): the title is missing" in message


def test_a_bad_marking_is_rejected_naming_the_row(session: Session) -> None:
    message = _rejection(session, "FIN,,function,Finance,,RESTRICTED,,,,false\n")
    assert "row 2 (FIN)" in message
    assert "unknown security marking 'RESTRICTED'" in message


def test_a_bad_kind_is_rejected_naming_the_row(session: Session) -> None:
    message = _rejection(session, "FIN,,department,Finance,,OFFICIAL,,,,false\n")
    assert "row 2 (FIN): unknown kind 'department'" in message


def test_a_class_at_the_wrong_level_is_rejected_naming_the_row(session: Session) -> None:
    message = _rejection(
        session,
        "FIN,,function,Finance,,OFFICIAL,,,,false\n"
        "FIN-INV,FIN,transaction,Invoices,,OFFICIAL,,,,false\n",
    )
    assert "row 3 (FIN-INV): a transaction sits under a" in message
    assert "activity, not a function" in message


def test_every_problem_is_reported_at_once(session: Session) -> None:
    message = _rejection(
        session,
        "FIN,,function,,,OFFICIAL,,,,false\nHR,,function,HR,,BAD,,,,false\n",
    )
    assert "2 problems" in message
    assert "row 2 (FIN)" in message
    assert "row 3 (HR)" in message


def test_a_csv_without_the_required_columns_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="missing column"):
        parse_csv("code,title\nFIN,Finance\n")


def test_a_failed_import_changes_nothing(runtime: Runtime, session: Session) -> None:
    _import_small_plan(session)
    session.commit()
    before = _counts(runtime)
    bad = parse_csv(
        HEADER + "NEW,,function,A new function,,OFFICIAL,newgroup,,,false\n"
        "FIN,,function,Finance renamed,,OFFICIAL,,,,false\n"
        "BROKEN,NOPE,activity,Broken,,OFFICIAL,,,,false\n"
    )
    with pytest.raises(InvalidInputError, match="nothing was imported"):
        import_rows(session, bad)
    session.commit()
    assert _counts(runtime) == before
    with runtime.uow() as fresh:
        fin = fresh.scalar(select(FilePlanNode).where(FilePlanNode.code == "FIN"))
        assert fin is not None and fin.title == "Finance"


def test_an_import_refused_half_way_leaves_the_plan_as_it_was(
    runtime: Runtime, session: Session
) -> None:
    _import_small_plan(session)
    create_folder(session, "FIN-AP-INV-2024", "FIN-AP-INV", "Supplier invoices 2024-25")
    session.commit()
    before = _counts(runtime)
    # FIN is updated first; then FIN-AP-INV cannot become a folder because it has a folder in it.
    rows = parse_csv(
        HEADER + "FIN,,function,Finance renamed,,OFFICIAL,,,,false\n"
        "FIN-AP-INV,FIN-AP,folder,Supplier invoices,,OFFICIAL,,,,false\n"
    )
    with pytest.raises(InvalidInputError, match="cannot change the kind"), runtime.uow() as uow:
        import_rows(uow, rows)
    assert _counts(runtime) == before
    with runtime.uow() as fresh:
        fin = fresh.scalar(select(FilePlanNode).where(FilePlanNode.code == "FIN"))
        assert fin is not None and fin.title == "Finance"


def test_only_records_managers_may_import(session: Session) -> None:
    with pytest.raises(RefusedError):
        import_rows(session, parse_csv(SMALL_PLAN_CSV), _person(Marking.TOP_SECRET))


def test_an_empty_file_is_rejected(session: Session) -> None:
    with pytest.raises(InvalidInputError, match="no nodes"):
        import_rows(session, parse_csv(HEADER))


# --- export and import round trips --------------------------------------------------------------


def test_an_exported_plan_round_trips_through_csv(session: Session) -> None:
    _import_default_plan(session)
    create_folder(session, "FIN-AP-INV-2024", "FIN-AP-INV", "Supplier invoices 2024-25")
    close_folder(session, "FIN-AP-INV-2024")
    text = write_csv(export_rows(session))
    assert write_csv(parse_csv(text)) == text


def test_importing_an_export_of_the_plan_changes_nothing(session: Session) -> None:
    _import_default_plan(session)
    create_folder(session, "FIN-AP-INV-2024", "FIN-AP-INV", "Supplier invoices 2024-25")
    close_folder(session, "FIN-AP-INV-2024")
    rows = export_rows(session)
    summary = import_rows(session, parse_csv(write_csv(rows)))
    assert summary == ImportSummary(created=0, updated=0, unchanged=len(rows))


def test_export_lists_parents_before_children(session: Session) -> None:
    _import_default_plan(session)
    seen: set[str] = set()
    for row in export_rows(session):
        assert not row.parent or row.parent in seen, row.code
        seen.add(row.code)


def test_export_can_leave_out_folders(session: Session) -> None:
    _import_small_plan(session)
    create_folder(session, "FIN-AP-INV-2024", "FIN-AP-INV", "Supplier invoices 2024-25")
    codes = [r.code for r in export_rows(session, include_folders=False)]
    assert "FIN-AP-INV-2024" not in codes
    assert "FIN-AP-INV" in codes


def test_an_exported_plan_imports_into_a_new_installation_unchanged(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("fileplan", "import", str(DEFAULT_PLAN)).exit_code == 0
    folder = cli("folder", "create", "HR-WF-FILE-A", "--under", "HR-WF-FILE", "--title", "A")
    assert folder.exit_code == 0
    assert cli("folder", "close", "HR-WF-FILE-A").exit_code == 0
    exported = cli("fileplan", "export", "--format", "csv")
    assert exported.exit_code == 0
    plan_csv = tmp_path / "plan.csv"
    plan_csv.write_text(exported.stdout, encoding="utf-8")

    second = {
        "EDRM_HOME": str(tmp_path / "second"),
        "EDRM_DATABASE_URL": "",
        "EDRM_SECRET_KEY": "test-secret-key",
    }
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli_main, list(args), env=second, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    run("init")
    imported = run("fileplan", "import", str(plan_csv))
    assert f"{len(parse_csv(exported.stdout))} created, 0 updated, 0 unchanged" in imported
    again = run("fileplan", "export", "--format", "csv")
    assert again == exported.stdout
    assert (tmp_path / "second" / "edrm.db").is_file()


def test_reimporting_the_same_file_reports_everything_unchanged(session: Session) -> None:
    rows = read_file(DEFAULT_PLAN)
    _import_default_plan(session)
    assert _import_default_plan(session) == ImportSummary(0, 0, len(rows))


def test_reimporting_a_changed_title_updates_only_that_node(session: Session) -> None:
    _import_small_plan(session)
    changed = SMALL_PLAN_CSV.replace("Accounts payable,Paying", "Payables,Paying")
    summary = import_rows(session, parse_csv(changed))
    assert summary == ImportSummary(created=0, updated=1, unchanged=8)
    event = audit.history(session, "node", "FIN-AP")[0]
    assert event.action == "fileplan.update"
    assert event.details_dict == {"title": "Payables"}


def test_an_import_is_audited(session: Session) -> None:
    _import_small_plan(session)
    events = audit.history(session, "fileplan", "-")
    assert [e.action for e in events] == ["fileplan.import"]
    assert events[0].details_dict == {"created": 9, "updated": 0, "unchanged": 0}
    assert events[0].actor == SYSTEM.username
    created = audit.history(session, "node", "HR-CASE")
    assert [e.action for e in created] == ["fileplan.create"]


def test_an_access_rule_names_groups_which_are_created(session: Session) -> None:
    _import_small_plan(session)
    node = session.scalar(select(FilePlanNode).where(FilePlanNode.code == "HR-CASE"))
    assert node is not None and node.access_names == ["hr"]


# --- folders ------------------------------------------------------------------------------------


def test_a_folder_can_be_created_under_a_transaction(session: Session) -> None:
    _import_small_plan(session)
    folder = create_folder(session, "FIN-AP-INV-2025", "FIN-AP-INV", "Supplier invoices 2025-26")
    assert folder.kind is NodeKind.FOLDER
    assert folder.parent is not None and folder.parent.code == "FIN-AP-INV"
    assert folder.class_node().code == "FIN-AP-INV"
    assert folder.marking is Marking.OFFICIAL
    assert [e.action for e in audit.history(session, "node", "FIN-AP-INV-2025")] == [
        "folder.create"
    ]


def test_a_folder_takes_its_class_marking_by_default(session: Session) -> None:
    _import_small_plan(session)
    folder = create_folder(session, "HR-CASE-DIS-1", "HR-CASE-DIS", "Case 1")
    assert folder.marking is Marking.OFFICIAL_SENSITIVE


def test_a_folder_cannot_be_created_under_a_function(session: Session) -> None:
    _import_small_plan(session)
    with pytest.raises(InvalidInputError, match="not a function"):
        create_folder(session, "FIN-2025", "FIN", "Finance 2025")


def test_a_folder_code_must_be_new(session: Session) -> None:
    _import_small_plan(session)
    with pytest.raises(InvalidInputError, match="already exists"):
        create_folder(session, "FIN-AP", "FIN-AP-INV", "Clash")


def test_a_closed_folder_refuses_new_documents(runtime: Runtime, session: Session) -> None:
    _import_small_plan(session)
    create_folder(session, "FIN-AP-INV-2019", "FIN-AP-INV", "Supplier invoices 2019-20")
    close_folder(session, "FIN-AP-INV-2019")
    with pytest.raises(RefusedError, match="closed"):
        add_document(
            session,
            runtime.blobs,
            io.BytesIO(b"late invoice"),
            NewDocument(filename="late.txt", into_code="FIN-AP-INV-2019"),
        )


def test_a_closed_folder_refuses_documents_moved_into_it(
    runtime: Runtime, session: Session
) -> None:
    _import_small_plan(session)
    create_folder(session, "FIN-AP-INV-2019", "FIN-AP-INV", "Supplier invoices 2019-20")
    close_folder(session, "FIN-AP-INV-2019")
    document = add_document(
        session,
        runtime.blobs,
        io.BytesIO(b"an invoice"),
        NewDocument(filename="invoice.txt", into_code="FIN-AP-INV"),
    )
    with pytest.raises(RefusedError, match="closed"):
        move_document(session, document.id, "FIN-AP-INV-2019")


def test_closing_a_folder_is_audited(session: Session) -> None:
    _import_small_plan(session)
    create_folder(session, "FIN-AP-INV-2019", "FIN-AP-INV", "Supplier invoices 2019-20")
    folder = close_folder(session, "FIN-AP-INV-2019")
    assert folder.closed is True
    assert folder.closed_at is not None
    assert audit.history(session, "node", "FIN-AP-INV-2019")[0].action == "folder.close"


def test_only_folders_can_be_closed(session: Session) -> None:
    _import_small_plan(session)
    with pytest.raises(InvalidInputError, match="only folders"):
        close_folder(session, "FIN-AP-INV")


def test_only_records_managers_may_close_folders(session: Session) -> None:
    _import_small_plan(session)
    create_folder(session, "FIN-AP-INV-2019", "FIN-AP-INV", "Supplier invoices 2019-20")
    with pytest.raises(RefusedError):
        close_folder(session, "FIN-AP-INV-2019", actor=_person(Marking.TOP_SECRET))


# --- browsing -----------------------------------------------------------------------------------


def test_the_tree_hides_nodes_whose_access_rule_excludes_the_person(
    world: World, session: Session
) -> None:
    codes = _codes(tree(session, world.people["clerk"]))
    assert "HR" in codes
    assert "HR-CASE" not in codes
    assert "HR-CASE-DIS" not in codes
    assert {"FIN", "FIN-AP", "FIN-AP-INV", "FIN-AP-INV-2024"} <= codes


def test_the_tree_shows_restricted_nodes_to_members_of_the_group(
    world: World, session: Session
) -> None:
    codes = _codes(tree(session, world.people["hrofficer"]))
    assert {"HR", "HR-CASE", "HR-CASE-DIS"} <= codes


def test_a_role_does_not_open_a_restricted_part_of_the_tree(world: World, session: Session) -> None:
    assert "HR-CASE" not in _codes(tree(session, world.people["admin"]))


def test_the_tree_can_leave_out_folders(world: World, session: Session) -> None:
    codes = _codes(tree(session, SYSTEM, include_folders=False))
    assert "FIN-AP-INV-2024" not in codes
    assert "FIN-AP-INV" in codes


def test_the_tree_nests_children_under_their_parents(world: World, session: Session) -> None:
    roots = {n.code: n for n in tree(session, SYSTEM)}
    assert set(roots) == {"FIN", "HR", "SEC"}
    assert [c.code for c in roots["FIN"].children] == ["FIN-AP"]
    assert [c.code for c in roots["FIN"].children[0].children] == ["FIN-AP-INV"]


def test_a_node_row_reads_as_it_was_written() -> None:
    rows = parse_csv(
        HEADER + 'X,,function,"Title, with comma",Line,OFFICIAL-SENSITIVE,b;a,Unit,R1,false\n'
    )
    assert rows == [
        NodeRow(
            where="row 2",
            code="X",
            parent="",
            kind="function",
            title="Title, with comma",
            description="Line",
            marking="OFFICIAL-SENSITIVE",
            access=("a", "b"),
            owner_unit="Unit",
            retention="R1",
            closed=False,
        )
    ]
