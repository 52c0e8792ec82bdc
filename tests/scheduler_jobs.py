"""Scheduled jobs for the scheduler's tests (named in a test's own config/jobs.toml)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from edrm.runtime import Runtime

RUNS: list[str] = []  # one entry per run of `count`, in this process
RELEASE = threading.Event()  # `wait` returns once it is set


def count(runtime: Runtime) -> str:
    RUNS.append("count")
    return f"run {len(RUNS)}"


def wait(runtime: Runtime) -> str:
    RELEASE.wait(30)
    return "released"


def long_job(runtime: Runtime) -> str:
    """A job that takes a minute: notes which process started it (in the file named by
    EDRM_TEST_JOB_MARK), then works on."""
    with Path(os.environ["EDRM_TEST_JOB_MARK"]).open("a") as mark:
        mark.write(f"{os.getpid()}\n")
    time.sleep(60)
    return "done"
