"""`edrm expert`: Find people who know about a topic."""

from __future__ import annotations

import click


@click.group("expert")
def expert() -> None:
    """Find people who know about a topic."""
