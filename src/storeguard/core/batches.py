"""Batches of a big import worked in other processes while this one writes them, in order.

Parsing, checking and building insert rows are pure CPU work; on a machine with two or more cores
the readers' half and the writer's half overlap. Every bulk import uses this module, in one of two
shapes:

- ``made_in_children``: children that read the file themselves (Shopify's JSON lines: two readers
  take turns at the batches) and send whole batches through bounded queues;
- ``worked_in_children``: this process reads the rows (an upload, a stream) and children work each
  batch (the list import normalizes and checks rows).

Either way memory stays flat however large the file (a bounded number of batches is in flight),
batches come back in the file's order, and the caller writes and commits them exactly as batches
it built itself, so resumption and the bad-rows report are the same with or without children.
Children are spawned, never forked: the parent holds database connections they must not share.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

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


def worked_in_children(
    batches: Iterable[T],
    work: Callable[[T], R],
    *,
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[tuple[T, R]]:
    """Yield each batch with ``work(batch)`` done in one of ``workers`` child processes, in order.

    At most two batches per child are in flight, so a slow writer holds back the reading. ``work``
    and ``initializer`` must be picklable (module-level functions); ``initializer(*initargs)``
    runs once in each child, for what every batch needs (e.g. the shop's reason codes). An error
    in a child is raised here, at its batch.
    """
    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=initializer, initargs=initargs
    ) as pool:
        pending: deque[tuple[T, Future[R]]] = deque()
        for batch in batches:
            pending.append((batch, pool.submit(work, batch)))
            if len(pending) >= 2 * workers:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()
