"""`edrm transfer`: Transfers of records to the archive (BagIt)."""

from __future__ import annotations

import click


@click.group("transfer")
def transfer() -> None:
    """Transfers of records to the archive (BagIt)."""
