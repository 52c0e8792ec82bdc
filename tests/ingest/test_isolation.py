"""Parsers run in an isolated child: a hang, a crash or a memory blow-up is a clear failure
of that file, and the next file is read as usual."""

from __future__ import annotations

import ctypes
import os
import time

import pytest

from edrm.ingest.isolation import IsolatedRunner, run_isolated
from edrm.ingest.types import RejectedInputError


def _double(x: int) -> int:
    return x * 2


def _hang(_: int) -> int:
    time.sleep(60)
    return 0


def _crash(_: int) -> int:
    ctypes.string_at(0)  # a segmentation fault, as a broken C library might cause
    return 0


def _reject(_: int) -> int:
    raise RejectedInputError("corrupt", "the file is broken")


def _hog(_: int) -> int:
    return len(bytearray(2 * 1024**3))


def _pid(_: int) -> int:
    return os.getpid()


@pytest.fixture
def runner() -> IsolatedRunner:
    r = IsolatedRunner(memory_bytes=1536 * 1024**2)
    yield r  # type: ignore[misc]
    r.close()


def test_a_result_comes_back_from_the_child(runner: IsolatedRunner) -> None:
    assert runner.run(_double, 21, timeout=10) == 42


def test_one_child_serves_many_files(runner: IsolatedRunner) -> None:
    assert runner.run(_pid, 0, timeout=10) == runner.run(_pid, 0, timeout=10) != os.getpid()


def test_a_hang_is_stopped_at_the_time_limit(runner: IsolatedRunner) -> None:
    started = time.monotonic()
    with pytest.raises(RejectedInputError) as info:
        runner.run(_hang, 0, timeout=0.5)
    assert info.value.reason == "timeout"
    assert time.monotonic() - started < 10
    assert runner.run(_double, 2, timeout=10) == 4


def test_a_crash_of_the_reader_fails_only_that_file(runner: IsolatedRunner) -> None:
    with pytest.raises(RejectedInputError) as info:
        runner.run(_crash, 0, timeout=10)
    assert info.value.reason == "corrupt"
    assert runner.run(_double, 3, timeout=10) == 6


def test_a_memory_blow_up_is_a_bomb(runner: IsolatedRunner) -> None:
    with pytest.raises(RejectedInputError) as info:
        runner.run(_hog, 0, timeout=20)
    assert info.value.reason == "bomb"
    assert runner.run(_double, 4, timeout=10) == 8


def test_a_rejection_keeps_its_reason(runner: IsolatedRunner) -> None:
    with pytest.raises(RejectedInputError, match="the file is broken") as info:
        runner.run(_reject, 0, timeout=10)
    assert info.value.reason == "corrupt"


def test_a_one_off_isolated_call_works_too() -> None:
    assert run_isolated(_double, 5, timeout=10) == 10
    with pytest.raises(RejectedInputError):
        run_isolated(_hang, 0, timeout=0.3)
