"""Bulk work pauses the cycle collector, and gives it back as it found it; work spread over processes
answers as one process would, or fails with what went wrong."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from storeguard.core.bulk import (
    SharedCount,
    cpu_quota,
    cycle_collection_paused,
    in_processes,
    processes_available,
)


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_cycle_collector_is_off_inside_and_on_again_after() -> None:
    with cycle_collection_paused():
        assert gc.isenabled() is False
    assert gc.isenabled() is True


def test_the_cycle_collector_comes_back_when_the_block_raises() -> None:
    with pytest.raises(ValueError), cycle_collection_paused():
        raise ValueError("boom")
    assert gc.isenabled() is True


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with cycle_collection_paused():
        pass
    assert gc.isenabled() is False


def test_the_collector_stays_off_until_the_last_of_two_threads_ends() -> None:
    inside, first_done, seen = threading.Event(), threading.Event(), []

    def second() -> None:
        with cycle_collection_paused():
            inside.set()
            first_done.wait(5)
            seen.append(gc.isenabled())  # the first block has ended: still off for this one

    thread = threading.Thread(target=second)
    with cycle_collection_paused():
        thread.start()
        inside.wait(5)
    first_done.set()
    thread.join(5)
    assert seen == [False]
    assert gc.isenabled() is True


def _square(x: int, count: SharedCount) -> int:
    count.add(x)
    return x * x


def _fail(message: str, count: SharedCount) -> None:
    raise ValueError(message)


def _die(code: int, count: SharedCount) -> None:
    os._exit(code)


def test_work_in_processes_answers_in_the_order_of_the_calls_and_reports_the_sum_of_progress() -> None:
    heard: list[int] = []
    assert in_processes(_square, [(3,), (1,), (2,)], progress=heard.append) == [9, 1, 4]
    assert heard[-1] == 6


def test_the_caller_works_while_the_processes_do() -> None:
    done: list[str] = []
    assert in_processes(_square, [(2,)], meanwhile=lambda: done.append("mine")) == [4]
    assert done == ["mine"]


def test_a_call_that_raises_fails_the_whole_run_with_its_error() -> None:
    with pytest.raises(RuntimeError, match="ValueError: the share went wrong"):
        in_processes(_fail, [("the share went wrong",)])


def test_a_process_that_dies_fails_the_run_with_its_exit_code() -> None:
    with pytest.raises(RuntimeError, match="exit code 3"):
        in_processes(_die, [(3,)])


def test_processes_available_counts_the_cores_this_process_may_use() -> None:
    cores = len(os.sched_getaffinity(0))
    cpu_max = Path("/sys/fs/cgroup/cpu.max")
    quota = cpu_quota(cpu_max.read_text()) if cpu_max.exists() else None
    assert processes_available() == min(cores, quota or cores, 8)


@pytest.mark.parametrize(
    ("cpu_max", "cpus"),
    [
        ("max 100000\n", None),
        ("200000 100000\n", 2),
        ("150000 100000", 2),  # one and a half CPUs: two processes use them
        ("50000 100000", 1),
        ("", None),
        ("garbage here", None),
        ("0 100000", None),
    ],
)
def test_a_containers_cpu_quota_is_read_in_whole_cpus(cpu_max: str, cpus: int | None) -> None:
    assert cpu_quota(cpu_max) == cpus
