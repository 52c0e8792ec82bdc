"""`edrm event`: Events that start retention (e.g. employee_left)."""

from __future__ import annotations

import click


@click.group("event")
def event() -> None:
    """Events that start retention (e.g. employee_left)."""
