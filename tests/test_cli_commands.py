"""The `edrm` command set: splitting the CLI into area modules registers every command it had."""

from __future__ import annotations

import click

from edrm.cli import main

# Every command and group under `edrm`, as registered before the CLI was split by area.
COMMANDS = (
    "audit",
    "audit checkpoint",
    "audit log",
    "audit rotate-key",
    "audit verify",
    "classifier",
    "classifier train",
    "demo",
    "disposal",
    "disposal certificates",
    "disposal decide",
    "disposal execute",
    "disposal list",
    "disposal show",
    "doc",
    "doc add",
    "doc declare",
    "doc get",
    "doc move",
    "doc show",
    "event",
    "event list",
    "event record",
    "expert",
    "expert find",
    "fileplan",
    "fileplan export",
    "fileplan import",
    "fileplan show",
    "folder",
    "folder close",
    "folder create",
    "hold",
    "hold delete",
    "hold lift",
    "hold list",
    "hold place",
    "hold show",
    "ingest",
    "init",
    "leaver",
    "leaver add",
    "leaver criticality",
    "leaver list",
    "leaver plan",
    "leaver plan approve",
    "leaver plan file",
    "leaver plan session",
    "leaver plan show",
    "leaver plan start",
    "leaver risk",
    "people",
    "people endorse",
    "people import",
    "people infer",
    "people opt-out",
    "people show",
    "people skill",
    "quarantine",
    "retention",
    "retention delete",
    "retention export",
    "retention forecast",
    "retention import",
    "retention list",
    "retention show",
    "retention sweep",
    "scheduler",
    "scheduler list",
    "scheduler run",
    "search",
    "serve",
    "token",
    "token create",
    "token list",
    "token revoke",
    "transfer",
    "transfer confirm",
    "transfer export",
    "transfer list",
    "triage",
    "triage file",
    "triage list",
    "user",
    "user activate",
    "user add",
    "user add-service",
    "user deactivate",
    "user list",
    "user password",
    "user sign-out",
    "user unlock",
    "user update",
    "webhook",
    "webhook add",
    "webhook deliver",
    "webhook deliveries",
    "webhook list",
    "webhook remove",
    "worker",
)


def _names(group: click.Command, prefix: str = "") -> list[str]:
    names: list[str] = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        full = f"{prefix} {name}".strip()
        names.append(full)
        names.extend(_names(command, full))
    return names


def test_the_registered_command_set_is_unchanged() -> None:
    assert sorted(_names(main)) == sorted(COMMANDS)
