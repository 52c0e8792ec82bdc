"""Suggestions less confident than ingest.toml's `min_confidence` are not kept when a document
is read (issue 12, item 4)."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from edrm.ingest import jobs
from edrm.ingest.models import DocumentSuggestion, IngestJob
from edrm.ingest.worker import Worker
from edrm.runtime import Runtime
from edrm.settings import DEFAULT_CONFIG_DIR
from tests.conftest import World


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The shipped configuration with a minimum of 99%."""
    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder)
    ingest = folder / "ingest.toml"
    text = ingest.read_text(encoding="utf-8")
    ingest.write_text(re.sub(r"min_confidence = [0-9.]+", "min_confidence = 0.99", text))
    return {**settings_overrides, "config_dir": str(folder)}


def test_the_pipeline_keeps_no_suggestion_below_the_configured_minimum(
    world: World, runtime: Runtime
) -> None:
    """Issue 12 item 4: a document read with a minimum of 99% keeps no suggestion under it
    (so the triage list never offers a 0% class)."""
    with runtime.uow() as s:
        job = jobs.submit(
            s,
            runtime.blobs,
            io.BytesIO(b"An invoice for the supply of paper, with VAT.\n"),
            "paper.txt",
            jobs.Submission(submitted_by="clerk", source="cli"),
        )
        job_id = job.id
    with Worker(runtime) as worker:
        while worker.run_one():
            pass
    with runtime.uow() as s:
        done = s.get(IngestJob, job_id)
        assert done is not None and done.outcome == "triage"
        stored = s.scalars(
            select(DocumentSuggestion.confidence).where(
                DocumentSuggestion.document_id == done.document_id
            )
        ).all()
        assert [c for c in stored if c < 0.99] == []
