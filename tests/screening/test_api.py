"""The screening API: /v1/screen, automatic screening of /v1/orders, the review queue, settings, backtest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.clock import frozen
from storeguard.core.models import AuditEvent
from storeguard.orders.models import Order
from storeguard.screening.actions import screen_existing_order, update_screening_settings
from storeguard.screening.models import Decision, ReviewNote, ScreeningSettings, Verification
from storeguard.screening.velocity_sql import SqlVelocity
from tests.screening.support import (
    ADDRESS,
    OWNER,
    Store,
    block_customer,
    make_store,
    new_customer,
    past_order,
)


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


def test_post_screen_a_line_naming_its_product_both_ways_is_refused_like_an_order_line(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    before = _counts(session)
    line = {"product_id": store.shirt.id, "sku": store.shirt.sku, "quantity": 1}

    screened = client.post(
        "/v1/screen", headers=owner_headers, json={"shop_id": store.shop.id, "lines": [line]}
    )
    ordered = client.post("/v1/orders", headers=owner_headers, json=_order_body(store, lines=[line]))

    assert [
        (a.status_code, a.json()["field"], a.json()["errors"][0]["message"]) for a in (screened, ordered)
    ] == [
        (422, "lines.0", "Value error, give the line's product_id or its sku (one of them)"),
    ] * 2
    assert _counts(session) == before


def test_post_screen_takes_a_line_by_product_id_or_by_sku_alike(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    by_id = {"shop_id": store.shop.id, "lines": [{"product_id": store.shirt.id, "quantity": 1}]}
    by_sku = {"shop_id": store.shop.id, "lines": [{"sku": store.shirt.sku, "quantity": 1}]}

    answers = [client.post("/v1/screen", headers=owner_headers, json=b).json() for b in (by_id, by_sku)]

    assert [(a["decision"], a["score"], [r["code"] for r in a["reasons"]]) for a in answers] == [
        (answers[0]["decision"], answers[0]["score"], [r["code"] for r in answers[0]["reasons"]])
    ] * 2
    assert "unknown_product" not in {r["code"] for r in answers[0]["reasons"]}


def test_post_screen_an_sku_the_catalogue_lacks_is_screened_as_given_and_named(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    answer = client.post(
        "/v1/screen",
        headers=owner_headers,
        json={
            "shop_id": store.shop.id,
            "lines": [{"sku": "NEW-DROP", "title": "Drop hoodie", "quantity": 2, "unit_price": 79900}],
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["decision"] == "allow"
    unknown = [r for r in body["reasons"] if r["code"] == "unknown_product"]
    assert unknown == [
        {
            "code": "unknown_product",
            "message": "Drop hoodie (NEW-DROP) is not in the catalogue yet; it was screened at the price "
            f"given (799.00 {store.shop.currency}), without the product's category, tags or high-value "
            "and limited-edition flags.",
            "source": "catalogue",
            "action": None,
            "weight": 0,
            "ref": {"type": "line", "sku": "NEW-DROP"},
            "decisive": False,
            "lines": [{"index": 0, "sku": "NEW-DROP", "title": "Drop hoodie", "quantity": 2}],
            "path": None,
            "identifiers": None,
        }
    ]


def test_post_screen_an_unknown_sku_without_a_price_counts_it_as_zero_and_says_so(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    answer = client.post(
        "/v1/screen",
        headers=owner_headers,
        json={"shop_id": store.shop.id, "lines": [{"sku": "NOPE", "quantity": 1}]},
    )
    assert answer.status_code == 200
    reason = next(r for r in answer.json()["reasons"] if r["code"] == "unknown_product")
    assert reason["message"].startswith(
        "NOPE (NOPE) is not in the catalogue yet; it was screened at 0, since no price"
    )


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


def _verify_order(session: Session, client: TestClient, headers: dict[str, str]) -> int:
    store = make_store(session)
    client.patch(
        f"/v1/screening/settings/{store.shop.id}",
        headers=headers,
        json={"settings": {"score_thresholds": {"verify": 10, "review": 90}}},
    )
    answer = client.post("/v1/orders", headers=headers, json=_order_body(store, email="x@mailinator.com"))
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_post_orders_verify_records_the_step_required(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    order_id = _verify_order(session, client, owner_headers)
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


def _patch_settings(
    client: TestClient, headers: dict[str, str], shop_id: int, settings: dict[str, Any]
) -> Any:
    return client.patch(f"/v1/screening/settings/{shop_id}", headers=headers, json={"settings": settings})


def _shown_settings(client: TestClient, headers: dict[str, str], shop_id: int) -> dict[str, Any]:
    return client.get(f"/v1/screening/settings/{shop_id}", headers=headers).json()


def test_settings_refuse_a_bad_segment_weight_and_change_nothing(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    before = _counts(session)
    bad = _patch_settings(
        client,
        owner_headers,
        store.shop.id,
        {"segments": {"watch": {"weight": "a lot"}}, "score_thresholds": {"review": 50}},
    )
    assert bad.status_code == 422
    assert (bad.json()["code"], bad.json()["field"]) == ("invalid_settings", "settings.segments.watch.weight")
    shown = _shown_settings(client, owner_headers, store.shop.id)
    assert (shown["revision"], shown["settings"]["segments"]["watch"]["weight"]) == (0, 15)
    assert shown["settings"]["score_thresholds"]["review"] == 60
    assert _counts(session) == before


def test_settings_show_money_as_minor_units_of_the_shops_currency_with_its_defaults(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)  # a NOK shop

    shown = _shown_settings(client, owner_headers, store.shop.id)

    assert (
        shown["currency"],
        shown["settings"]["signals"]["first_order_high_value"]["amount"],
        shown["settings"]["segments"]["vip"]["min_spent"],
    ) == ("NOK", 500_000, 1_000_000)


def test_settings_refuse_a_major_unit_amount_and_change_nothing(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    before = _counts(session)

    bad = _patch_settings(
        client, owner_headers, store.shop.id, {"segments": {"vip": {"min_spent": "2500.00"}}}
    )
    after = _counts(session)
    shown = _shown_settings(client, owner_headers, store.shop.id)

    assert (bad.status_code, bad.json()["field"]) == (422, "settings.segments.vip.min_spent")
    assert bad.json()["detail"] == (
        "settings.segments.vip.min_spent is an amount in minor units of the shop's currency "
        "(an integer of zero or more)"
    )
    assert after == before
    assert (shown["revision"], shown["settings"]["segments"]["vip"]["min_spent"]) == (0, 1_000_000)


def test_settings_stored_as_major_unit_text_read_and_save_as_minor_units(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    session.add(
        ScreeningSettings(
            shop_id=store.shop.id, revision=1, data={"segments": {"vip": {"min_spent": "7500.00"}}}
        )
    )
    session.commit()

    shown = _shown_settings(client, owner_headers, store.shop.id)
    changed = _patch_settings(client, owner_headers, store.shop.id, {"score_thresholds": {"review": 55}})

    assert shown["settings"]["segments"]["vip"]["min_spent"] == 750_000
    stored = session.scalar(select(ScreeningSettings.data).where(ScreeningSettings.shop_id == store.shop.id))
    assert changed.status_code == 200, changed.json()
    assert stored["segments"]["vip"]["min_spent"] == 750_000


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
        500_000,
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


def _events(session: Session, order_id: int) -> list[str]:
    stmt = (
        select(AuditEvent.action)
        .where(AuditEvent.subject_type == "order", AuditEvent.subject_id == str(order_id))
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(stmt))


def test_post_rescreen_answers_the_decision_and_stores_it(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    order = past_order(session, store, None, email="kari@example.no")

    answer = client.post(f"/v1/orders/{order.id}/screen", headers=owner_headers)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    stored = session.get(Decision, body["id"])
    assert (body["decision"], body["order_id"]) == ("allow", order.id)
    assert (stored.order_id, stored.source, stored.decision, stored.score) == (
        order.id,
        "rescreen",
        "allow",
        body["score"],
    )
    assert _events(session, order.id) == ["order.screened"]


def test_post_rescreen_of_a_held_order_stores_the_decision_but_holds_it_once(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    _, order_id = _review_order(session, client, owner_headers)
    held_at = session.get(Order, order_id).held_at

    answer = client.post(f"/v1/orders/{order_id}/screen", headers=owner_headers)

    assert answer.status_code == 200, answer.text
    assert answer.json()["decision"] == "review"
    order = session.get(Order, order_id)
    session.refresh(order)
    assert (order.held, order.held_at, order.hold_reason) == (
        True,
        held_at,
        "screening said review: disposable_email",
    )
    assert [d.source for d in session.scalars(select(Decision).where(Decision.order_id == order_id))] == [
        "order_created",
        "rescreen",
    ]
    assert _events(session, order_id) == ["order.created", "order.screened", "order.held", "order.screened"]


def test_post_rescreen_of_an_order_awaiting_verification_requires_it_once(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    order_id = _verify_order(session, client, owner_headers)

    answer = client.post(f"/v1/orders/{order_id}/screen", headers=owner_headers)

    assert (answer.status_code, answer.json()["decision"]) == (200, "verify")
    steps = client.get(f"/v1/orders/{order_id}/verifications", headers=owner_headers).json()
    assert [(v["method"], v["status"]) for v in steps] == [("card_3ds", "required")]
    assert _events(session, order_id) == [
        "order.created",
        "order.screened",
        "verification.required",
        "order.screened",
    ]


def test_post_rescreen_after_a_verification_was_satisfied_requires_it_again(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    order_id = _verify_order(session, client, owner_headers)
    (first,) = client.get(f"/v1/orders/{order_id}/verifications", headers=owner_headers).json()
    client.post(
        f"/v1/verifications/{first['id']}/resolve", headers=owner_headers, json={"status": "satisfied"}
    )

    client.post(f"/v1/orders/{order_id}/screen", headers=owner_headers)

    steps = client.get(f"/v1/orders/{order_id}/verifications", headers=owner_headers).json()
    assert [v["status"] for v in steps] == ["satisfied", "required"]


def test_post_rescreen_of_an_unknown_order_answers_404_and_stores_nothing(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    before = _counts(session)
    answer = client.post("/v1/orders/987654321/screen", headers=owner_headers)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert (answer.json()["code"], answer.json()["status"]) == ("order_not_found", 404)
    assert _counts(session) == before


def _reviewing_store(session: Session) -> Store:
    """A shop whose screening holds an order from a disposable address for review."""
    store = make_store(session)
    update_screening_settings(
        session, shop_id=store.shop.id, actor=OWNER, changes={"score_thresholds": {"review": 20}}
    )
    return store


def test_review_queue_lists_the_longest_held_first_whatever_the_creation_order(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = _reviewing_store(session)
    t0 = datetime.now(UTC) - timedelta(days=3)
    older = past_order(session, store, None, email="a@mailinator.com", created_at=t0)
    newer = past_order(session, store, None, email="b@mailinator.com", created_at=t0 + timedelta(hours=1))
    # The newer order is held first (a day ago), the older one only later (an hour ago).
    with frozen(t0 + timedelta(days=2)):
        screen_existing_order(session, order_id=newer.id, actor=OWNER, velocity=SqlVelocity())
    with frozen(t0 + timedelta(days=3) - timedelta(hours=1)):
        screen_existing_order(session, order_id=older.id, actor=OWNER, velocity=SqlVelocity())

    items = client.get(f"/v1/reviews?shop_id={store.shop.id}", headers=owner_headers).json()["items"]

    assert [i["order_id"] for i in items] == [newer.id, older.id]
    assert [datetime.fromisoformat(i["held_since"]) for i in items] == [
        t0 + timedelta(days=2),
        t0 + timedelta(days=3) - timedelta(hours=1),
    ]
    assert items[0]["age_seconds"] > items[1]["age_seconds"] >= 3600


def test_review_queue_reads_its_page_in_a_fixed_number_of_statements(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    from sqlalchemy import event

    store = _reviewing_store(session)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    def page_cost() -> int:
        statements.clear()
        event.listen(session.get_bind(), "before_cursor_execute", count)
        try:
            assert (
                client.get(f"/v1/reviews?shop_id={store.shop.id}", headers=owner_headers).status_code == 200
            )
        finally:
            event.remove(session.get_bind(), "before_cursor_execute", count)
        return len(statements)

    def hold_one() -> None:
        order = past_order(session, store, None, email="x@mailinator.com")
        screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
        add_note = client.post(f"/v1/reviews/{order.id}/notes", headers=owner_headers, json={"body": "seen"})
        assert add_note.status_code == 201

    hold_one()
    one = page_cost()
    hold_one()
    hold_one()
    assert page_cost() == one


def _backtest(client: TestClient, headers: dict[str, str], shop_id: int, **drafts: Any) -> Any:
    t0 = datetime(2025, 2, 1, tzinfo=UTC)
    body = {"shop_id": shop_id, "from": t0.isoformat(), "to": (t0 + timedelta(days=1)).isoformat()}
    return client.post("/v1/rules/backtest", headers=headers, json=body | drafts)


def test_post_rules_backtest_refuses_a_bad_rule_as_saving_it_would_naming_the_rule(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    source = "review if order.totl > 500"
    saved = client.post("/v1/rules", headers=owner_headers, json={"name": "typo", "source": source})
    before = _counts(session)

    answer = _backtest(client, owner_headers, store.shop.id, rule=source)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["field"] == "rule"
    assert body["code"] == "unknown_field"
    assert body["detail"] == "unknown fact 'order.totl'; did you mean order.total?"
    assert body["position"] == {"line": 1, "column": 11, "offset": 10}
    assert body["caret"] == "review if order.totl > 500\n          ^^^^^^^^^^"
    # the same answer as saving the rule, but for the field and the path asked
    assert saved.json() == body | {"field": "source", "instance": "/v1/rules"}
    assert _counts(session) == before


def test_post_rules_backtest_names_the_bad_rule_of_a_list_by_its_index(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)

    answer = _backtest(
        client, owner_headers, store.shop.id, rules=["block if order.total > 900", "block if (order.total"]
    )

    assert answer.status_code == 422
    body = answer.json()
    assert (body["code"], body["field"]) == ("rule_syntax_error", "rules.1")
    assert body["position"]["line"] == 1 and body["caret"].startswith("block if (order.total\n")
