"""Bulk work pauses the cycle collector, and gives it back as it found it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from storeguard.core.bulk import cycle_collection_paused


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
