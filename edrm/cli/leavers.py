"""`edrm leaver`: Leavers and the knowledge at risk when they go."""

from __future__ import annotations

import click


@click.group("leaver")
def leaver() -> None:
    """Leavers and the knowledge at risk when they go."""
