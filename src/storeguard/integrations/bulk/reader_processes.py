"""Reading, mapping and building a file's rows in other processes while this one writes.

Parsing, mapping and building insert rows are pure CPU work; on a machine with two or more cores
the readers' half and the writer's half overlap. Each child sends whole batches (rows ready for
the driver, cheap to pickle) through a bounded queue, so memory stays flat however large the
file; this process takes them in the file's order and commits them batch by batch exactly as
batches it built itself, so resumption and the bad-rows report are the same either way. Two
readers take turns at the batches of a JSON-lines file: on SQLite reading was the slower half,
and on a busy machine each process gets its own share of the CPU.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

AHEAD = 4  # batches each child may run ahead of the writer
READERS = 2  # reader processes for a file they can split (Shopify JSON lines)
# Starting the readers (spawning two Pythons that import the mapping, not the models) and
# filling the pipeline took 0.6-1.0 s of wall clock on the 2-core box at load average 2.5, and a
# 12 MB file (10,000 orders) was still 0.2-0.8 s faster in one process; below about 16 MB
# (13,000 orders of a shop's history) one process finishes first.
MIN_BYTES = 16 << 20
_DONE = "done"
_FAILED = "failed"
_STOPPED = object()
_POLL = 0.5  # seconds between looks at whether to stop or whether a reader died


def worth_it(size: int) -> bool:
    """Tell whether a file of ``size`` bytes is worth reading in a second process.

    Whether the machine is busy does not matter: on a loaded machine two processes get about
    twice the CPU share of one.
    """
    return size >= MIN_BYTES and (os.cpu_count() or 1) >= 2


def _produce(make: Callable[[], Iterable[Any]], out: Any) -> None:
    """The child: send every batch ``make()`` yields."""
    try:
        for batch in make():
            out.put(batch)
        out.put(_DONE)
    except BaseException:  # noqa: BLE001 - the parent re-raises it with the child's traceback
        out.put((_FAILED, traceback.format_exc()))


def made_in_children(makes: Sequence[Callable[[], Iterable[Any]]]) -> Iterator[Any]:
    """Yield the first item of ``makes[0]()``, then of ``makes[1]()``, ... round and round, each
    made in its own child process, until one has no more: readers that take turns at a file's
    batches, merged back into the file's order. Each ``make`` must be picklable.

    A thread receives (and unpickles) the next batch while this one is written: the writing
    thread mostly waits for the database, which lets it run. Stopping early (an interruption,
    an error while writing) ends the children.
    """
    # spawn, not fork: the parent holds open database connections the children must never share.
    context = multiprocessing.get_context("spawn")
    channels = [context.Queue(maxsize=AHEAD) for _ in makes]
    children = [
        context.Process(target=_produce, args=(make, channel), daemon=True)
        for make, channel in zip(makes, channels, strict=True)
    ]
    for child in children:
        child.start()
    received: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(kind: str, value: Any) -> None:
        while not stop.is_set():
            try:
                received.put((kind, value), timeout=_POLL)
                return
            except queue.Full:
                continue

    def receive() -> None:
        try:
            for turn in itertools.count():
                message = _receive(channels[turn % len(makes)], children[turn % len(makes)], stop)
                if message is _STOPPED:
                    return
                if isinstance(message, str) and message == _DONE:
                    # The turns are strict: when one reader has no next batch, no reader has.
                    hand_over(_DONE, None)
                    return
                hand_over("batch", message)
        except BaseException as exc:  # noqa: BLE001 - raised again in the writing thread
            hand_over(_FAILED, exc)

    receiver = threading.Thread(target=receive, name="import-receiver", daemon=True)
    receiver.start()
    try:
        while True:
            kind, value = received.get()
            if kind == _DONE:
                break
            if kind == _FAILED:
                raise value
            yield value
        for child in children:
            child.join(timeout=5)
    finally:
        stop.set()
        receiver.join()
        for child in children:
            if child.is_alive():
                child.terminate()
                child.join()
        for channel in channels:
            channel.close()
            channel.join_thread()


def _receive(channel: Any, child: Any, stop: threading.Event) -> Any:
    while not stop.is_set():
        try:
            message = channel.get(timeout=_POLL)
        except queue.Empty:
            if not child.is_alive() and channel.empty():
                raise RuntimeError(f"the import's reader process died (exit code {child.exitcode})") from None
            continue
        if isinstance(message, tuple) and message and message[0] == _FAILED:
            raise RuntimeError(f"reading the file failed in the reader process:\n{message[1]}")
        return message
    return _STOPPED
