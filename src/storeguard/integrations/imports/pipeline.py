"""Reading and mapping a file in a second process while this one writes to the database.

Parsing and mapping are pure CPU work, and so are the writes' row building: on a machine with
two or more cores the two halves overlap. The child sends the mapped items in chunks through a
bounded queue (so memory stays flat however large the file); this process commits them batch by
batch exactly as it would items it mapped itself, so resumption and the bad-rows report are the
same either way.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from storeguard.integrations.imports.runner import Item

CHUNK = 500  # items per message: large enough that pickling overhead per message is small
AHEAD = 8  # chunks the child may run ahead of the writer
# Below this size a file imports faster than a second process starts.
MIN_BYTES = 4 << 20
_DONE = "done"
_FAILED = "failed"


def worth_it(size: int) -> bool:
    """Tell whether a file of ``size`` bytes is worth mapping in a second process.

    Sending mapped orders between processes costs about as much CPU as mapping them, so a second
    process only pays when a core is idle for it: on a machine busy with other work it is slower.
    """
    cores = os.cpu_count() or 1
    return size >= MIN_BYTES and cores > 1 and os.getloadavg()[0] <= cores - 1


def _produce(make: Callable[[], Iterable[Item]], skip_through: int, out: Any) -> None:
    """The child: map every item after row ``skip_through`` and send them in chunks."""
    try:
        chunk: list[Item] = []
        for item in make():
            if item.row <= skip_through:
                continue  # committed by an earlier run: not worth pickling
            chunk.append(item)
            if len(chunk) >= CHUNK:
                out.put(chunk)
                chunk = []
        if chunk:
            out.put(chunk)
        out.put(_DONE)
    except BaseException:  # noqa: BLE001 - the parent re-raises it with the child's traceback
        out.put((_FAILED, traceback.format_exc()))


def mapped_in_child(make: Callable[[], Iterable[Item]], *, skip_through: int = 0) -> Iterator[Item]:
    """Yield the items ``make()`` yields, mapped in a child process; ``make`` must be picklable.

    Stopping early (an interruption, an error while writing) ends the child.
    """
    # spawn, not fork: the parent holds open database connections the child must never share.
    context = multiprocessing.get_context("spawn")
    channel = context.Queue(maxsize=AHEAD)
    child = context.Process(target=_produce, args=(make, skip_through, channel), daemon=True)
    child.start()
    try:
        while True:
            try:
                message = channel.get(timeout=5)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(
                        f"the import's reader process died (exit code {child.exitcode})"
                    ) from None
                continue
            if message == _DONE:
                break
            if isinstance(message, tuple):
                raise RuntimeError(f"reading the file failed in the reader process:\n{message[1]}")
            yield from message
        child.join()
    finally:
        if child.is_alive():
            child.terminate()
            child.join()
        channel.close()
        channel.join_thread()
