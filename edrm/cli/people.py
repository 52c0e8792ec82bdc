"""`edrm people`: The expertise directory: import HR data, show profiles."""

from __future__ import annotations

import click


@click.group("people")
def people() -> None:
    """The expertise directory: import HR data, show profiles."""
