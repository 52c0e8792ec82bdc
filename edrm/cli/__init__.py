"""The `edrm` command line: a product interface that records managers and administrators script.

This file is the table of contents: the `main` group and the area modules whose commands it
registers. Each command opens its own unit of work; errors print as one line
(`edrm: error: …`) with a non-zero exit code, never a traceback (`common.py`).

Imports sit at the top of each module, except those of heavy libraries: the ingest pipeline
(format readers, OCR, the classifier), the web application (Flask) and the demo data are
imported inside the commands that need them, with a comment saying so, so that `edrm --help`
and every other command start without loading them.
"""

from __future__ import annotations

import click

from edrm.cli import (
    audit,
    backup,
    classifier,
    disposal,
    documents,
    events,
    experts,
    fileplan,
    holds,
    ingest,
    leavers,
    mail,
    notifications,
    people,
    retention,
    search,
    system,
    tokens,
    transfer,
    users,
    webhooks,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="edrm")
def main() -> None:
    """edrm: records and knowledge management. Uses EDRM_HOME (default ./var) for its data."""


COMMANDS: tuple[click.Command, ...] = (
    # the installation and its processes
    system.init,
    system.demo,
    system.serve,
    system.worker,
    system.scheduler,
    backup.backup,
    backup.restore,
    backup.migrate_to,
    # the records core
    users.user,
    tokens.token,
    webhooks.webhook,
    notifications.notifications,
    fileplan.fileplan,
    fileplan.folder,
    documents.doc,
    audit.audit_group,
    ingest.ingest,
    ingest.triage,
    ingest.quarantine_list,
    mail.mail,
    classifier.classifier,
    search.search,
    # retention
    retention.retention,
    events.event,
    holds.hold,
    disposal.disposal,
    transfer.transfer,
    # knowledge
    people.people,
    experts.expert,
    leavers.leaver,
)

for _command in COMMANDS:
    main.add_command(_command)
