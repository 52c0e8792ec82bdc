"""`edrm hold`: Legal holds that stop disposal and change."""

from __future__ import annotations

import click


@click.group("hold")
def hold() -> None:
    """Legal holds that stop disposal and change."""
