"""More requests at once than a process has database connections: they queue, none deadlocks.

A request holds its write connection from the key check (one threadpool call) to the route
(another), and a read checked its connection out on the event loop itself. With every
connection held by requests waiting for a thread, and every thread (or the loop) waiting for a
connection, the process stood still until the pool's timeout answered 500s. The app now admits
no more requests with a session than its pool has connections.
"""

from __future__ import annotations

import pytest

from storeguard.app import create_app
from storeguard.core.config import get_settings
from storeguard.core.db import make_engine
from tests.reliability.conftest import NoAnswer, run_concurrently
from tests.reliability.server import serving

CONNECTIONS = 2
CLIENTS = 24
REQUESTS = 96
ANSWER_WITHIN_SECONDS = 10.0


def test_many_more_clients_than_connections_are_all_answered(store, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(get_settings(), "background_work", False)
    # A short pool timeout: a deadlock shows as 500s within seconds instead of hanging the test.
    engine = make_engine(store.url, pool_size=CONNECTIONS, max_overflow=0, pool_timeout=5)
    app = create_app(get_settings(), engine=engine)
    auth = {"Authorization": f"Bearer {store.key}"}
    try:
        with serving(app) as base:
            calls = [
                lambda c, i=i: c.get(
                    f"{base}/v1/orders/{store.order_ids[i % len(store.order_ids)]}",
                    headers=auth,
                    timeout=ANSWER_WITHIN_SECONDS,
                )
                for i in range(REQUESTS)
            ]
            answers = run_concurrently(calls, clients=CLIENTS)
    finally:
        engine.dispose()
    assert [a for a in answers if isinstance(a, NoAnswer)] == []
    assert sorted({a.status_code for a in answers}) == [200]
