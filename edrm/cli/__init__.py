"""The `edrm` command line: a product interface that records managers and administrators script.

This file is the table of contents: the `main` group and, for each command it registers, the
area module that defines it and the first paragraph of its help. The modules are imported only
when their command runs (`lazy_group.py`), so that `edrm --version` and `edrm --help` start with
click alone; a test keeps the help texts here equal to the commands' own. Each command opens its
own unit of work; errors print as one line (`edrm: error: …`) with a non-zero exit code, never a
traceback (`common.py`).

Inside the area modules, imports sit at the top, except those of heavy libraries: the ingest
pipeline (format readers, OCR, the classifier), the web application (Flask) and the demo data are
imported inside the commands that need them, with a comment saying so.
"""

from __future__ import annotations

import click

from edrm import __version__
from edrm.cli.lazy_group import LazyCommand, LazyGroup

COMMANDS: tuple[LazyCommand, ...] = (
    # the installation and its processes
    LazyCommand(
        "init",
        "system",
        "init",
        "Create the data directory and bring the database schema up to date.",
    ),
    LazyCommand(
        "demo",
        "system",
        "demo",
        "Load the demo (file plan, people of every role, documents) unless already loaded.",
    ),
    LazyCommand("serve", "system", "serve", "Serve the web application."),
    LazyCommand("worker", "system", "worker", "Run ingest workers until stopped (Ctrl-C)."),
    LazyCommand(
        "scheduler",
        "system",
        "scheduler",
        "Run the scheduler standalone (or `scheduler run JOB` / `list` / `status`).",
    ),
    LazyCommand(
        "backup",
        "backup",
        "backup",
        "Back the installation up into DEST while it runs (a DEST holding an earlier backup "
        "is updated: only new blobs are copied). The manifest is written last: a DEST without"
        " one is not a backup.",
    ),
    LazyCommand(
        "restore",
        "backup",
        "restore",
        "Restore the backup in SRC into an empty data directory (EDRM_HOME) and database, "
        "after checking every file against the manifest; then rebuild the search index.",
    ),
    LazyCommand(
        "migrate",
        "backup",
        "migrate_to",
        "Copy this embedded (SQLite) installation's database into an empty PostgreSQL "
        "database: every table, the sequences, then check the audit chain there. Stop `edrm "
        "serve` and the workers first; afterwards point database_url at the new database and "
        "rebuild the search index (`edrm search reindex`).",
    ),
    # the records core
    LazyCommand("user", "users", "user", "Manage people's accounts."),
    LazyCommand(
        "token",
        "tokens",
        "token",
        "API tokens: create, list and revoke (Authorization: Bearer <token>).",
    ),
    LazyCommand(
        "webhook",
        "webhooks",
        "webhook",
        "Webhook subscriptions (administrators) and their delivery log.",
    ),
    LazyCommand(
        "notifications",
        "notifications",
        "notifications",
        "Notification e-mails: your preferences; the outbox (administrators).",
    ),
    LazyCommand("fileplan", "fileplan", "fileplan", "Import, export and show the file plan."),
    LazyCommand("folder", "fileplan", "folder", "Create and close folders."),
    LazyCommand("doc", "documents", "doc", "File, show, declare, move and fetch documents."),
    LazyCommand("audit", "audit", "audit_group", "The tamper-evident audit trail."),
    LazyCommand(
        "ingest",
        "ingest",
        "ingest",
        "Ingest files and folders (recursively) through the pipeline, and wait for them.",
    ),
    LazyCommand(
        "triage", "ingest", "triage", "Documents waiting for a person to choose their class."
    ),
    LazyCommand(
        "quarantine",
        "ingest",
        "quarantine_list",
        "Rejected files kept in quarantine, with the reason.",
    ),
    LazyCommand(
        "mail", "mail", "mail", "File by e-mail: the SMTP listener and the mailbox poller."
    ),
    LazyCommand("classifier", "classifier", "classifier", "The document classifier."),
    LazyCommand(
        "search",
        "search",
        "search",
        "Search the records (`edrm search reindex` rebuilds the index from the database).",
    ),
    # retention
    LazyCommand(
        "retention", "retention", "retention", "The retention schedule, forecasts and the sweep."
    ),
    LazyCommand("event", "events", "event", "Events that start retention (e.g. employee_left)."),
    LazyCommand("hold", "holds", "hold", "Legal holds that stop disposal and change."),
    LazyCommand(
        "disposal", "disposal", "disposal", "The disposal queue: review decisions and execution."
    ),
    LazyCommand("transfer", "transfer", "transfer", "Transfers of records to the archive (BagIt)."),
    # knowledge
    LazyCommand(
        "people", "people", "people", "The expertise directory: import HR data, show profiles."
    ),
    LazyCommand("expert", "experts", "expert", "Find people who know about a topic."),
    LazyCommand("leaver", "leavers", "leaver", "Leavers and the knowledge at risk when they go."),
    LazyCommand(
        "knowledge", "knowledge", "knowledge", "Knowledge owners, reviews and knowledge at risk."
    ),
    # information rights
    LazyCommand(
        "request",
        "requests",
        "request_group",
        "Information requests (FOI, EIR, SAR): open, track the clock, add records, close.",
    ),
    LazyCommand(
        "redact",
        "redactions",
        "redact",
        "Redactions on a request's records: propose, approve (a second person), reject, list.",
    ),
)


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    # Commands that close everything they open: the process then ends without the tear-down.
    lean_exit=("ingest",),
    context_settings={"help_option_names": ["-h", "--help"]},
)
# The version is the package's own (a test keeps it equal to pyproject.toml's): reading it from
# the installed metadata would import importlib.metadata, email and zipfile at every start.
@click.version_option(version=__version__, package_name="edrm")
def main() -> None:
    """edrm: records and knowledge management. Uses EDRM_HOME (default ./var) for its data."""
