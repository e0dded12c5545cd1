"""Concurrent writes against a real server process: no 5xx, nothing lost, nothing done twice."""

from __future__ import annotations

import random
import time

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.db import make_engine
from storeguard.integrations.enums import DeliveryStatus
from storeguard.integrations.models import WebhookDelivery
from storeguard.lists.models import CustomerBlock as Block
from storeguard.orders.models import Order, Refund
from tests.reliability.conftest import SHOP_DOMAIN, run_concurrently, shopify_order_payload, signed_delivery
from tests.reliability.server import start_serve, stop

WEBHOOK_ORDERS = 100  # each delivered twice: 200 webhook requests


def _errors_logged(data_dir) -> str:  # noqa: ANN001
    """Return the tracebacks the server logged, to read beside a failed assertion."""
    log = "".join(p.read_text() for p in data_dir.glob("serve-*.log"))
    start = log.find("Traceback")
    return log[start : start + 6000] if start >= 0 else log[-3000:]


def _wait_until_inbox_drained(url: str, timeout: float = 120.0) -> None:
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with Session(engine) as session:
                waiting = session.scalar(
                    select(func.count()).where(WebhookDelivery.status == DeliveryStatus.received)
                )
            if waiting == 0:
                return
            time.sleep(0.2)
        raise TimeoutError(f"{waiting} deliveries still waiting after {timeout} s")
    finally:
        engine.dispose()


def test_webhooks_refunds_cancels_blocks_and_reads_at_once_give_no_5xx_and_no_doubles(store):
    process, base = start_serve(store.url, store.data_dir, env=store.env)
    auth = {"Authorization": f"Bearer {store.key}"}
    calls = []
    for n in range(WEBHOOK_ORDERS):
        body, headers = signed_delivery(shopify_order_payload(n), webhook_id=f"wh-{n}")
        for _ in range(2):  # Shopify's retry of the same delivery
            calls.append(
                (
                    "webhook",
                    n,
                    lambda c, b=body, h=headers: c.post(
                        f"{base}/webhooks/shopify/{SHOP_DOMAIN}", content=b, headers=h
                    ),
                )
            )
    for order_id in store.order_ids[:20]:
        for _ in range(2):  # two 30 % refunds each: both fit
            calls.append(
                (
                    "refund",
                    order_id,
                    lambda c, o=order_id: c.post(
                        f"{base}/v1/orders/{o}/refunds",
                        json={"amount": 3000, "reason": "goodwill"},
                        headers=auth,
                    ),
                )
            )
    for order_id in store.order_ids[20:]:
        for _ in range(2):  # the same cancel sent twice: one cancels, one is refused
            calls.append(
                (
                    "cancel",
                    order_id,
                    lambda c, o=order_id: c.post(
                        f"{base}/v1/orders/{o}/cancel",
                        json={"reason": "customer", "refund": True},
                        headers=auth,
                    ),
                )
            )
    for customer_id in store.customer_ids[:20]:
        for _ in range(2):
            calls.append(
                (
                    "block",
                    customer_id,
                    lambda c, cu=customer_id: c.post(
                        f"{base}/v1/customers/{cu}/block",
                        json={"reason_code": "fraud", "justification": "chargebacks on three orders"},
                        headers=auth,
                    ),
                )
            )
    for order_id in store.order_ids:
        calls.append(("read", order_id, lambda c, o=order_id: c.get(f"{base}/v1/orders/{o}", headers=auth)))
    random.Random(7).shuffle(calls)
    try:
        responses = run_concurrently([call for _, _, call in calls])
        _wait_until_inbox_drained(store.url)
    finally:
        stop(process)

    by_kind: dict[str, list[int]] = {}
    failures = []
    for (kind, _, _), response in zip(calls, responses, strict=True):
        by_kind.setdefault(kind, []).append(response.status_code)
        if response.status_code >= 500 or response.status_code == 0:  # a 5xx, or no answer at all
            failures.append((kind, response.status_code, getattr(response, "text", None) or response.error))
    assert failures == [], _errors_logged(store.data_dir)
    assert sorted(set(by_kind["webhook"])) == [200]
    assert by_kind["refund"].count(201) == 40
    assert (by_kind["cancel"].count(200), by_kind["cancel"].count(409)) == (20, 20)
    assert by_kind["read"] == [200] * 40

    engine = make_engine(store.url)
    with Session(engine) as session:
        deliveries = session.execute(select(WebhookDelivery.delivery_id, WebhookDelivery.status)).all()
        mirrored = session.scalar(select(func.count()).where(Order.platform_id.like("5000000000%")))
        refunds = session.scalar(select(func.count()).select_from(Refund))
        blocks = session.execute(
            select(Block.customer_id, func.count())
            .where(Block.lifted_at.is_(None))
            .group_by(Block.customer_id)
        ).all()
    engine.dispose()
    assert len(deliveries) == WEBHOOK_ORDERS
    assert {status for _, status in deliveries} == {DeliveryStatus.processed}
    assert mirrored == WEBHOOK_ORDERS
    assert refunds == 40 + 20  # two per refunded order, one per cancelled order
    assert sorted(count for _, count in blocks) == [1] * 20


@pytest.mark.parametrize("requests", [20])
def test_twenty_concurrent_ten_percent_refunds_of_one_order_give_ten_201_and_ten_409(store, requests):
    process, base = start_serve(store.url, store.data_dir, env=store.env)
    auth = {"Authorization": f"Bearer {store.key}"}
    order_id = store.order_ids[0]
    try:
        total = httpx.get(f"{base}/v1/orders/{order_id}", headers=auth).json()["total"]
        calls = [
            lambda c: c.post(
                f"{base}/v1/orders/{order_id}/refunds", json={"amount": total // 10}, headers=auth
            )
            for _ in range(requests)
        ]
        codes = sorted(r.status_code for r in run_concurrently(calls))
        refunds = httpx.get(f"{base}/v1/orders/{order_id}/refunds", headers=auth).json()
    finally:
        stop(process)
    assert total == 10000
    assert codes == [201] * 10 + [409] * 10
    assert len(refunds) == 10
