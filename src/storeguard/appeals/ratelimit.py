"""A small in-process rate limit for the public appeal page: a sliding window per client address.

The page is public, so each address may open it and send forms only so often. The count lives in
this process: with several processes each counts apart, which still bounds what one address can do.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindow:
    """Allow at most ``limit`` events per key in any ``seconds`` long window."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, at: float | None = None) -> bool:
        """Count one event for ``key`` and tell whether it is within the limit."""
        moment = time.monotonic() if at is None else at
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= moment - self.seconds:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(moment)
            if len(self._events) > 10_000:  # forget quiet addresses so the table stays small
                for quiet in [k for k, v in self._events.items() if not v]:
                    del self._events[quiet]
            return True
