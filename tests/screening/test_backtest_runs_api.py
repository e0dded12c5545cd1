"""A backtest started through the API runs in the background and is polled until its answer is there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.models import WorkRun
from tests.screening.support import make_store, new_customer, past_order

T0 = datetime(2025, 2, 1, tzinfo=UTC)
RULE = "block if order.has_limited_edition and order.is_first_order"


def _two_orders(session: Session):
    store = make_store(session)
    past_order(session, store, new_customer(session, store), lines=[(store.sneaker, 1)], created_at=T0)
    past_order(
        session,
        store,
        None,
        lines=[(store.sneaker, 1)],
        created_at=T0 + timedelta(hours=1),
        tags=["chargeback"],
    )
    return store


def _range(store, **draft):
    return {
        "shop_id": store.shop.id,
        "from": T0.isoformat(),
        "to": (T0 + timedelta(days=1)).isoformat(),
        **draft,
    }


def test_a_background_backtest_ends_with_the_same_answer_as_one_in_the_request(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = _two_orders(session)
    waited = client.post("/v1/rules/backtest", headers=owner_headers, json=_range(store, rule=RULE)).json()

    started = client.post("/v1/rules/backtests", headers=owner_headers, json=_range(store, rule=RULE))
    polled = client.get(f"/v1/rules/backtests/{started.json()['id']}", headers=owner_headers).json()

    assert (started.status_code, started.json()["total"]) == (202, 2)
    assert (polled["status"], polled["done"], polled["total"], polled["error"]) == ("finished", 2, 2, None)
    assert {k: v for k, v in polled["result"].items() if k != "seconds"} == {
        k: v for k, v in waited.items() if k != "seconds"
    }


def test_a_rule_set_backtests_in_the_background(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = _two_orders(session)
    rules = [RULE, "review if order.total > 1"]

    started = client.post("/v1/rules/backtests", headers=owner_headers, json=_range(store, rules=rules))
    polled = client.get(f"/v1/rules/backtests/{started.json()['id']}", headers=owner_headers).json()

    assert (polled["status"], polled["result"]["stopped"]) == ("finished", 2)


def test_a_typo_answers_at_once_with_its_position_and_starts_nothing(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = _two_orders(session)

    refused = client.post(
        "/v1/rules/backtests",
        headers=owner_headers,
        json=_range(store, rules=[RULE, "block if order.totl > 5"]),
    )

    assert (refused.status_code, refused.json()["field"]) == (422, "rules.1")
    assert session.scalar(select(func.count()).select_from(WorkRun)) == 0


def test_an_unknown_backtest_run_is_a_404(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    answer = client.get("/v1/rules/backtests/424242", headers=owner_headers)

    assert answer.status_code == 404
