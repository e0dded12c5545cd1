"""Many orders for one shop at once against a real server process: every one answered, none stuck.

``POST /v1/orders`` once stalled under 16 concurrent clients on a shop whose imported orders
already had the numbers its counter was to give: the first new order tried them one by one, two
round trips each with the shop's row locked (a session "idle in transaction" between them), and
every other order of the shop queued behind it. Each request here has a timeout, so a stall
fails the test instead of hanging the suite.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from storeguard.core.db import make_engine
from storeguard.orders.models import Order
from storeguard.shops.models import Shop
from tests.reliability.conftest import NoAnswer, run_concurrently
from tests.reliability.server import start_serve, stop

CLIENTS = 16
ORDERS = 160
IMPORTED = 30_000  # at two round trips each, trying these one by one takes far longer than the timeout
ANSWER_WITHIN_SECONDS = 20.0


def _order(shop_id: int, n: int) -> dict:
    return {
        "shop_id": shop_id,
        "currency": "NOK",
        "email": f"rush{n}@example.no",
        "phone": f"+474{n:07d}",
        "browser_ip": f"10.2.{n % 250}.{n % 200}",
        "device_id": f"rush-device-{n}",
        "lines": [{"sku": "CAP", "quantity": 1}],
    }


def test_sixteen_clients_ordering_from_one_shop_all_get_an_answer_and_distinct_numbers(store):
    engine = make_engine(store.url)
    with Session(engine) as session:
        shop = session.scalars(select(Shop)).one()
        shop_id, start = shop.id, shop.next_order_number
        imported = [
            {"shop_id": shop_id, "number": f"#{n}", "currency": "NOK", "source": "shopify"}
            for n in range(start, start + IMPORTED)
        ]
        session.execute(insert(Order), imported)
        session.commit()
        before = session.scalar(select(func.count()).select_from(Order))
    process, base = start_serve(store.url, store.data_dir, env=store.env)
    auth = {"Authorization": f"Bearer {store.key}"}
    try:
        calls = [
            lambda c, n=n: c.post(
                f"{base}/v1/orders", json=_order(shop_id, n), headers=auth, timeout=ANSWER_WITHIN_SECONDS
            )
            for n in range(ORDERS)
        ]
        answers = run_concurrently(calls, clients=CLIENTS)
    finally:
        stop(process)
    unanswered = [a.error for a in answers if isinstance(a, NoAnswer)]
    assert unanswered == []
    assert sorted({a.status_code for a in answers}) == [201]
    with Session(engine) as session:
        numbers = session.scalars(select(Order.number).where(Order.shop_id == shop_id)).all()
        after = session.scalar(select(func.count()).select_from(Order))
    engine.dispose()
    assert after - before == ORDERS
    assert len(set(numbers)) == len(numbers)
    assert f"#{start + IMPORTED + ORDERS - 1}" in numbers
