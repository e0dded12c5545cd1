"""Each test starts with the public page's rate limits empty (they count per process)."""

from __future__ import annotations

import pytest

from storeguard.appeals import public


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    public.VIEWS._events.clear()
    public.SENDS._events.clear()
