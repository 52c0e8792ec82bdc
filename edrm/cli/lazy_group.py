"""A click group whose commands' modules are imported only when a command is looked up.

`edrm --version` and `edrm --help` then start with click alone: the help lists every command
with the short help written in the table of contents (`edrm/cli/__init__.py`), and a command's
module (with the database, the search engine or the classifier behind it) is imported when that
command runs, or when anything reads `group.commands[name]`. A test checks that each entry's
text is the first paragraph of its command's own help, so the two cannot drift apart.

This module imports click and nothing else: it is on the path of every `edrm` invocation.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    """A command as the table of contents names it: `edrm NAME` is `edrm.cli.MODULE.ATTRIBUTE`,
    and HELP is the first paragraph of its help (what `edrm --help` shortens)."""

    name: str
    module: str
    attribute: str
    help: str

    def load(self) -> click.Command:
        module = importlib.import_module(f"edrm.cli.{self.module}")
        command = getattr(module, self.attribute)
        if not isinstance(command, click.Command) or command.name != self.name:
            raise RuntimeError(f"edrm.cli.{self.module}.{self.attribute} is not `edrm {self.name}`")
        return command


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's name -> command mapping that imports a command's module on first access."""

    def __init__(self, entries: Iterable[LazyCommand]) -> None:
        self.entries = {entry.name: entry for entry in entries}
        self.loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.loaded:
            if name not in self.entries:
                raise KeyError(name)
            self.loaded[name] = self.entries[name].load()
        return self.loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self.entries.pop(name, None)
        self.loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self.entries
        yield from (name for name in self.loaded if name not in self.entries)

    def __len__(self) -> int:
        return len(self.entries.keys() | self.loaded.keys())

    def __contains__(self, name: object) -> bool:
        return name in self.entries or name in self.loaded

    def for_listing(self, name: str) -> click.Command:
        """The command if its module is loaded, else a stand-in carrying its help text only."""
        if name in self.loaded:
            return self.loaded[name]
        return click.Command(name, help=self.entries[name].help)


class LazyGroup(click.Group):
    """A click group over a `LazyCommands` table (pass `lazy_commands=` to `click.group`).

    The commands named in `lean_exit` are run as one-shot processes when the group is the
    process's entry point (`lean_exit.py`): their modules are imported with the cyclic garbage
    collector paused, and the process ends at once when they are done, without the
    interpreter's tear-down.
    """

    def __init__(
        self,
        *args: Any,
        lazy_commands: Iterable[LazyCommand] = (),
        lean_exit: Iterable[str] = (),
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.commands: LazyCommands = LazyCommands(lazy_commands)
        self.lean_exit = frozenset(lean_exit)
        self.entry_point = False  # set when the process runs the group (its __call__)
        self.resolved: str | None = None  # the command this process runs, once looked up

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if self.entry_point and args and args[0] in self.lean_exit:
            from edrm.cli.lean_exit import loading_without_collection

            with loading_without_collection():
                name, command, rest = super().resolve_command(ctx, args)
        else:
            name, command, rest = super().resolve_command(ctx, args)
        self.resolved = command.name if command is not None else None
        return name, command, rest

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The entry point (console script, `python -m edrm`); click's main always exits.
        Click's test runner calls `main` instead, so a test process is never ended here."""
        self.entry_point = True
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit as exc:
            if self.resolved in self.lean_exit:
                from edrm.cli.lean_exit import leave

                leave(exc.code)  # returns only when the normal exit must run
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, but a command not yet imported is listed from its table entry."""
        rows = [
            (name, command)
            for name in self.list_commands(ctx)
            if not (command := self.commands.for_listing(name)).hidden
        ]
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl(
                [(name, command.get_short_help_str(limit)) for name, command in rows]
            )
