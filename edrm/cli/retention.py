"""`edrm retention`: The retention schedule, forecasts and the sweep."""

from __future__ import annotations

import click


@click.group("retention")
def retention() -> None:
    """The retention schedule, forecasts and the sweep."""
