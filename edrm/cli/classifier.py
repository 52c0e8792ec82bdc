"""`edrm classifier`: the document classifier (train it on what has been filed)."""

from __future__ import annotations

import click

from edrm.cli.common import friendly_errors, runtime


@click.group("classifier")
def classifier() -> None:
    """The document classifier."""


@classifier.command("train")
@friendly_errors
def classifier_train() -> None:
    """Train the classifier on filed documents and triage corrections (atomic, versioned)."""
    from edrm.ingest.training import retrain  # heavy: loads the classifier libraries

    with runtime() as rt:
        result = retrain(rt)
    click.echo(f"edrm: {result.message}")
