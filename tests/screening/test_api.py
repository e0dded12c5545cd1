"""The screening API: /v1/screen, automatic screening of /v1/orders, the review queue, settings, backtest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.models import AuditEvent
from storeguard.orders.models import Order
from storeguard.screening.models import Decision, ReviewNote, Verification
from tests.screening.support import ADDRESS, block_customer, make_store, new_customer, past_order


def _counts(session: Session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(t)) for t in (Order, Decision, AuditEvent))  # type: ignore[return-value]


def _order_body(store: Any, **kw: Any) -> dict[str, Any]:
    body = {
        "shop_id": store.shop.id,
        "currency": "NOK",
        "lines": [{"product_id": store.shirt.id, "quantity": 1}],
        "shipping_address": ADDRESS,
        "billing_address": ADDRESS,
    }
    return body | kw


def test_post_screen_blocks_the_second_account_of_a_blocked_customer_and_stores_nothing(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    first = new_customer(session, store, email="ola@example.no")
    evidence = past_order(session, store, first, phone="+4791234567", device_id="dev-77")
    entry_id = block_customer(session, store, first, evidence)
    second = new_customer(session, store, email="ola.nordmann@example.no")
    before = _counts(session)

    answer = client.post(
        "/v1/screen",
        headers=owner_headers,
        json={
            "shop_id": store.shop.id,
            "customer_id": second.id,
            "email": "ola.nordmann@example.no",
            "device_id": "dev-77",
            "lines": [{"sku": "SHIRT", "quantity": 1}],
        },
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["decision"], body["order_id"]) == ("block", None)
    top = body["reasons"][0]
    assert (top["code"], top["source"], top["ref"]["id"], top["ref"]["customer_id"]) == (
        "linked_block",
        "link",
        entry_id,
        first.id,
    )
    assert top["path"][0]["shared"][0]["type"] == "device_id"
    assert body["policy_version"] == 0 and body["duration_us"] > 0
    assert _counts(session) == before


def test_post_screen_missing_fields_answers_422_naming_them(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    before = _counts(session)
    answer = client.post("/v1/screen", headers=owner_headers, json={"email": "a@b.no"})
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"shop_id", "lines"}
    line = client.post("/v1/screen", headers=owner_headers, json={"shop_id": 1, "lines": [{"quantity": 1}]})
    assert line.status_code == 422 and line.json()["field"] == "lines.0"
    assert _counts(session) == before


def test_post_screen_unknown_sku_answers_422_naming_the_line(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    answer = client.post(
        "/v1/screen",
        headers=owner_headers,
        json={"shop_id": store.shop.id, "lines": [{"sku": "NOPE", "quantity": 1}]},
    )
    assert answer.status_code == 422
    assert (answer.json()["code"], answer.json()["field"]) == ("unknown_product", "lines.0.sku")


def test_post_orders_block_answers_409_with_the_decision_and_stores_nothing(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    kari = new_customer(session, store, email="kari@example.no")
    evidence = past_order(session, store, kari)
    block_customer(session, store, kari, evidence)
    stock = store.shirt.stock
    before = _counts(session)

    answer = client.post("/v1/orders", headers=owner_headers, json=_order_body(store, customer_id=kari.id))

    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "order_blocked"
    assert body["decision"]["decision"] == "block"
    assert body["decision"]["reasons"][0]["code"] == "list_block"
    assert _counts(session) == before
    session.refresh(store.shirt)
    assert store.shirt.stock == stock


def _review_order(session: Session, client: TestClient, headers: dict[str, str]) -> tuple[Any, int]:
    store = make_store(session)
    client.patch(
        f"/v1/screening/settings/{store.shop.id}",
        headers=headers,
        json={"settings": {"score_thresholds": {"review": 20}}},
    )
    answer = client.post(
        "/v1/orders",
        headers=headers,
        json=_order_body(store, email="x@mailinator.com", payment={"kind": "sale"}),
    )
    assert answer.status_code == 201, answer.text
    return store, answer.json()["id"]


def test_post_orders_review_holds_the_order_and_fulfilment_is_refused(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    _, order_id = _review_order(session, client, owner_headers)
    order = session.get(Order, order_id)
    assert order.held is True and order.hold_reason.startswith("screening said review")
    decision = client.get(f"/v1/orders/{order_id}/decisions", headers=owner_headers).json()
    assert [d["decision"] for d in decision] == ["review"]
    shipped = client.post(f"/v1/orders/{order_id}/fulfillments", headers=owner_headers, json={})
    assert (shipped.status_code, shipped.json()["code"]) == (409, "order_held")
    actions = [
        e.action
        for e in session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "order", AuditEvent.subject_id == str(order_id)
            )
        )
    ]
    assert actions == ["order.created", "order.screened", "order.held"]


def test_review_queue_lists_held_orders_oldest_first_and_approve_releases(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    _, first = _review_order(session, client, owner_headers)
    _, second = _review_order(session, client, owner_headers)

    queue = client.get("/v1/reviews", headers=owner_headers).json()
    assert [r["order_id"] for r in queue["items"]] == [first, second]
    item = queue["items"][0]
    assert item["age_seconds"] >= 0 and item["decision"]["reasons"][0]["code"] == "disposable_email"

    noted = client.post(
        f"/v1/reviews/{first}/notes", headers=owner_headers, json={"body": "called the customer"}
    )
    assert noted.status_code == 201
    approved = client.post(f"/v1/reviews/{first}/approve", headers=owner_headers, json={"note": "looks fine"})
    assert approved.status_code == 200
    assert [n["body"] for n in approved.json()["notes"]] == ["called the customer", "looks fine"]
    assert session.get(Order, first).held is False
    assert client.post(f"/v1/orders/{first}/fulfillments", headers=owner_headers, json={}).status_code == 201
    assert [r["order_id"] for r in client.get("/v1/reviews", headers=owner_headers).json()["items"]] == [
        second
    ]
    again = client.post(f"/v1/reviews/{first}/approve", headers=owner_headers, json={})
    assert (again.status_code, again.json()["code"]) == (409, "order_not_held")


def test_review_cancel_refunds_and_restocks_as_chosen(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store, order_id = _review_order(session, client, owner_headers)
    session.refresh(store.shirt)
    stock = store.shirt.stock
    answer = client.post(
        f"/v1/reviews/{order_id}/cancel",
        headers=owner_headers,
        json={"refund": True, "restock": True, "note": "stolen card"},
    )
    assert answer.status_code == 200, answer.text
    order = session.get(Order, order_id)
    session.refresh(order)
    session.refresh(store.shirt)
    assert (order.status, order.cancel_reason, order.held, order.financial_status) == (
        "cancelled",
        "fraud",
        False,
        "refunded",
    )
    assert store.shirt.stock == stock + 1
    assert session.scalar(select(func.count()).select_from(ReviewNote)) == 1


def test_post_orders_verify_records_the_step_required(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    client.patch(
        f"/v1/screening/settings/{store.shop.id}",
        headers=owner_headers,
        json={"settings": {"score_thresholds": {"verify": 10, "review": 90}}},
    )
    answer = client.post(
        "/v1/orders", headers=owner_headers, json=_order_body(store, email="x@mailinator.com")
    )
    order_id = answer.json()["id"]
    row = session.scalar(select(Verification).where(Verification.order_id == order_id))
    assert (row.method, row.status) == ("card_3ds", "required")
    assert "3-D Secure" in row.satisfied_by
    assert session.get(Order, order_id).held is False
    done = client.post(
        f"/v1/verifications/{row.id}/resolve", headers=owner_headers, json={"status": "satisfied"}
    )
    assert done.json()["status"] == "satisfied"


def test_settings_refuse_an_unknown_signal_and_change_nothing(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    bad = client.patch(
        f"/v1/screening/settings/{store.shop.id}",
        headers=owner_headers,
        json={"settings": {"signals": {"full_moon": {"weight": 5}}}},
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "settings.signals.full_moon")
    weight = client.patch(
        f"/v1/screening/settings/{store.shop.id}",
        headers=owner_headers,
        json={"settings": {"signals": {"country_mismatch": {"weight": 150}}}},
    )
    assert (weight.status_code, weight.json()["field"]) == (422, "settings.signals.country_mismatch.weight")
    shown = client.get(f"/v1/screening/settings/{store.shop.id}", headers=owner_headers).json()
    assert shown["revision"] == 0 and shown["settings"]["signals"]["country_mismatch"]["weight"] == 15


def test_settings_refuse_a_bad_segment_weight_and_change_nothing(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    before = _counts(session)
    bad = client.patch(
        f"/v1/screening/settings/{store.shop.id}",
        headers=owner_headers,
        json={"settings": {"segments": {"watch": {"weight": "a lot"}}, "score_thresholds": {"review": 50}}},
    )
    assert bad.status_code == 422
    assert (bad.json()["code"], bad.json()["field"]) == ("invalid_settings", "settings.segments.watch.weight")
    shown = client.get(f"/v1/screening/settings/{store.shop.id}", headers=owner_headers).json()
    assert (shown["revision"], shown["settings"]["segments"]["watch"]["weight"]) == (0, 15)
    assert shown["settings"]["score_thresholds"]["review"] == 60
    assert _counts(session) == before


def test_post_rules_backtest_reports_stopped_and_good_orders(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    t0 = datetime(2025, 2, 1, tzinfo=UTC)
    past_order(session, store, new_customer(session, store), lines=[(store.sneaker, 1)], created_at=t0)
    past_order(
        session,
        store,
        None,
        lines=[(store.sneaker, 1)],
        created_at=t0 + timedelta(hours=1),
        tags=["chargeback"],
    )
    answer = client.post(
        "/v1/rules/backtest",
        headers=owner_headers,
        json={
            "shop_id": store.shop.id,
            "rule": "block if order.has_limited_edition and order.is_first_order",
            "from": t0.isoformat(),
            "to": (t0 + timedelta(days=1)).isoformat(),
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["stopped"], body["stopped_bad"], body["stopped_good"], body["stopped_revenue"]) == (
        2,
        1,
        1,
        "5000.00",
    )
    missing = client.post("/v1/rules/backtest", headers=owner_headers, json={"shop_id": store.shop.id})
    assert missing.status_code == 422


def test_post_screen_answer_is_exactly_what_the_decision_model_would_write(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    import json

    from storeguard.screening.schemas import DecisionRead

    store = make_store(session)
    first = new_customer(session, store, email="kari@example.no")
    evidence = past_order(session, store, first, device_id="dev-12")
    block_customer(session, store, first, evidence)

    answer = client.post(
        "/v1/screen",
        headers=owner_headers,
        json=_order_body(store, email="new@example.no", device_id="dev-12", phone="+4791234567"),
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert any("path" in r and r["path"] for r in body["reasons"])  # a linked reason, with its path
    assert body == json.loads(DecisionRead.model_validate(body).model_dump_json())
