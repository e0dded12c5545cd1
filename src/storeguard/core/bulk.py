"""Bulk work in memory: a long computation that builds millions of objects at once."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
