"""Bulk work: a long computation that builds millions of objects at once, or is spread over processes."""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_running = 0  # blocks inside ``cycle_collection_paused`` now
_paused = False  # whether the first of them turned the collector off (it may have been off already)


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cycle collector for the block.

    A backtest keeps a row, a tuple and a dict per order until it answers. The collector runs
    after every few hundred new objects and, as they pile up, walks all of them again and again:
    a fifth of a large backtest's time went there, for objects that form no cycle and are freed
    by their reference counts anyway. Blocks running at once in several threads share one pause:
    the collector comes back when the last one ends, and stays off if it was off before the first.
    """
    global _running, _paused
    with _lock:
        if _running == 0:
            _paused = gc.isenabled()
            gc.disable()
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _paused:
                gc.enable()
                _paused = False


class SharedCount:
    """A count the processes of ``in_processes`` add to and their caller reads (its progress)."""

    def __init__(self, value: Any) -> None:
        self._value = value  # a multiprocessing Value, handed to each process as it starts

    def add(self, n: int) -> None:
        with self._value.get_lock():
            self._value.value += n

    @property
    def total(self) -> int:
        return int(self._value.value)


def processes_available() -> int:
    """How many processes ``in_processes`` can usefully run at once: the cores this process may use
    (fewer when a container's CPU quota allows fewer, at most ``MOST_PROCESSES``), or 1 where
    processes cannot be started from a fresh server (no fork server on this system)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        quota = cpu_quota(Path("/sys/fs/cgroup/cpu.max").read_text())
    except OSError:  # no cgroup v2 here: the cores are the limit
        quota = None
    return max(1, min(cores, quota or cores, MOST_PROCESSES))


# Each process of a split reads what the whole shop holds once more: beyond a few, that costs more
# than the orders it shares.
MOST_PROCESSES = 8


def cpu_quota(cpu_max: str) -> int | None:
    """The whole CPUs a cgroup's ``cpu.max`` ("quota period", or "max period") allows, rounded up;
    None when it sets no quota."""
    parts = cpu_max.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    try:
        quota, period = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    return max(1, -(-quota // period)) if quota > 0 and period > 0 else None


def in_processes(
    work: Callable[..., T],
    calls: Sequence[tuple[Any, ...]],
    *,
    preload: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[T]:
    """Run ``work(*call, count)`` for every call, each in a process of its own, all at once; return
    their answers in the calls' order.

    ``work`` is a module-level function (it is named, not copied, to the process) and ``count`` a
    ``SharedCount`` it adds its progress to; ``progress`` is told the sum while they run and at the
    end. The processes are forked from a fork server, a process started once with the ``preload``
    modules imported: a fork from this process could copy a lock another thread of a web server
    holds, and a fresh interpreter per call would import everything again (about a second). A call
    that raises, or a process that dies, fails the whole run with what went wrong; the others are
    stopped. ``meanwhile`` is called here once they have started: the caller's own part of the work.
    """
    context = multiprocessing.get_context("forkserver")
    with _lock:
        context.set_forkserver_preload(list(preload))  # only read when the server first starts
    counted = SharedCount(context.Value("q", 0))
    answers = context.Queue()
    processes = [
        context.Process(target=_answer, args=(work, i, call, counted, answers), daemon=True)
        for i, call in enumerate(calls)
    ]
    for process in processes:
        process.start()
    results: dict[int, T] = {}
    try:
        if meanwhile is not None:
            meanwhile()
        while len(results) < len(processes):
            try:
                i, failure, answer = answers.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                # A process that ended without answering was killed (its answer is sent before it ends).
                dead = [p.exitcode for n, p in enumerate(processes) if n not in results and p.exitcode]
                if dead:
                    raise RuntimeError(f"a worker process ended with exit code {dead[0]}") from None
                if progress is not None:
                    progress(counted.total)
                continue
            if failure:
                raise RuntimeError(f"a worker process failed:\n{answer}")
            results[i] = answer
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
        answers.close()
    if progress is not None:
        progress(counted.total)
    return [results[i] for i in range(len(processes))]


_POLL_SECONDS = 0.2  # how often the caller hears of progress while the processes run


def _answer(
    work: Callable[..., Any], i: int, call: tuple[Any, ...], counted: SharedCount, answers: Any
) -> None:
    """A process's whole life: do the work and send the answer, or what went wrong."""
    try:
        answer = work(*call, counted)
    except BaseException:
        answers.put((i, True, traceback.format_exc()))
    else:
        answers.put((i, False, answer))
