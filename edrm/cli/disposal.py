"""`edrm disposal`: The disposal queue: review decisions and execution."""

from __future__ import annotations

import click


@click.group("disposal")
def disposal() -> None:
    """The disposal queue: review decisions and execution."""
