"""Policy replay of proposed rules (screened by the engine with the rules in force and proposed)
and of proposed link types (clusters rebuilt, evasion ties gained or lost), changing nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeguard.core.actor import SYSTEM
from storeguard.core.clock import now
from storeguard.customers.identifiers import add_identifier
from storeguard.customers.models import Customer
from storeguard.lists.blocking import block_customer
from storeguard.orders.models import Order
from storeguard.rules.actions import create_rule
from storeguard.shops.models import Shop
from tests.factories import FACTORY_ACTOR, make_customer, make_order, make_product, make_shop
from tests.refusals import refusal, row_counts

Headers = Callable[..., dict[str, str]]


def _big_order(session: Session, shop: Shop) -> tuple[Order, Customer]:
    customer = make_customer(session, shop, first_name="Ola", last_name="Big")
    order = make_order(
        session, shop, customer=customer, lines=[(make_product(session, shop, price=90000), 1)]
    )
    return order, customer


def _replay(client: TestClient, headers: dict[str, str], body: dict) -> object:
    return client.post("/v1/policy-replay", json=body, headers=headers)


def test_a_new_rule_shows_the_open_order_it_would_stop_and_its_customer(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    order, customer = _big_order(session, shop)
    make_order(session, shop, customer=make_customer(session, shop))  # a small order: stays
    session.commit()
    headers = auth()
    before = row_counts(session)

    answer = _replay(
        client, headers, {"shop_id": shop.id, "rules": [{"source": "block if order.total > 500"}]}
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["orders_screened_with_rules"] == 2
    assert [(m["kind"], m["id"], m["to"], m["customer_id"], m["customer_label"]) for m in body["moves"]] == [
        ("order_rules", order.id, "block", customer.id, "Ola Big")
    ]
    assert row_counts(session) == before


def test_turning_a_rule_off_shows_the_order_it_would_let_through(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    order, _ = _big_order(session, shop)
    rule = create_rule(
        session, name="Big", source="block if order.total > 500", actor=SYSTEM, shop_id=shop.id
    )
    session.commit()

    answer = _replay(client, auth(), {"shop_id": shop.id, "rules": [{"rule_id": rule.id, "enabled": False}]})

    [move] = answer.json()["moves"]
    assert (move["kind"], move["id"], move["from"]) == ("order_rules", order.id, "block")
    assert move["to"] != "block"


def test_an_edited_rule_text_is_replayed_in_place_of_the_one_in_force(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    _big_order(session, shop)
    rule = create_rule(
        session, name="Big", source="block if order.total > 500", actor=SYSTEM, shop_id=shop.id
    )
    session.commit()

    answer = _replay(
        client,
        auth(),
        {"shop_id": shop.id, "rules": [{"rule_id": rule.id, "source": "block if order.total > 800"}]},
    )

    assert answer.json()["moves"] == []


def test_a_rule_that_does_not_compile_is_refused_with_the_compilers_caret(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    session.commit()
    headers = auth()
    before = row_counts(session)

    answer = _replay(
        client, headers, {"shop_id": shop.id, "rules": [{"source": "block if order.totl > 500"}]}
    )

    problem = answer.json()
    assert (answer.status_code, problem["field"]) == (422, "rules.0.source")
    assert problem["code"] == "unknown_field"
    assert problem["caret"] == "block if order.totl > 500\n         ^^^^^^^^^^"
    assert row_counts(session) == before


def test_a_rule_the_shop_has_not_is_refused(session: Session, client: TestClient, auth: Headers) -> None:
    shop = make_shop(session)
    session.commit()

    answer = _replay(client, auth(), {"shop_id": shop.id, "rules": [{"rule_id": 999999, "enabled": False}]})

    assert refusal(answer) == (404, "rule_not_found", "rules.0.rule_id")


def _linked_pair(session: Session, shop: Shop) -> tuple[Customer, Customer]:
    """Two customers sharing a phone (a linking type by default), the first blocked."""
    blocked = make_customer(session, shop, first_name="Bo", last_name="Blocked")
    other = make_customer(session, shop, first_name="Nils", last_name="New")
    for customer in (blocked, other):
        add_identifier(session, customer, "phone", "+4791234567")
    session.flush()
    block_customer(
        session,
        customer_id=blocked.id,
        actor=FACTORY_ACTOR,
        reason_code="threats",
        evidence={"notes": ["threatening email 3 May"]},
        notify=False,
        block_identifiers=False,
    )
    session.commit()
    return blocked, other


def test_dropping_a_link_type_shows_the_cluster_split_and_who_is_freed_from_a_block(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    _, other = _linked_pair(session, shop)
    headers = auth()
    before = row_counts(session)

    answer = _replay(client, headers, {"shop_id": shop.id, "link_types": ["email"]})

    body = answer.json()
    assert answer.status_code == 200, answer.text
    assert (body["clusters_before"], body["clusters_after"], body["customers_relinked"]) == (1, 0, 2)
    assert body["moves"] == [
        {
            "kind": "link",
            "id": other.id,
            "label": "Nils New",
            "from": "linked_to_blocked",
            "to": "not_linked",
            "customer_id": None,
            "customer_label": None,
        }
    ]
    assert row_counts(session) == before


def test_adding_a_link_type_shows_who_would_newly_be_tied_to_a_blocked_customer(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session, settings={"link_identifier_types": ["email"]})
    _, other = _linked_pair(session, shop)

    answer = _replay(client, auth(), {"shop_id": shop.id, "link_types": ["email", "phone"]})

    body = answer.json()
    assert (body["clusters_before"], body["clusters_after"]) == (0, 1)
    assert [(m["id"], m["from"], m["to"]) for m in body["moves"]] == [
        (other.id, "not_linked", "linked_to_blocked")
    ]


def test_a_link_type_too_weak_to_link_is_refused(session: Session, client: TestClient, auth: Headers) -> None:
    shop = make_shop(session)
    session.commit()
    headers = auth()
    before = row_counts(session)

    answer = _replay(client, headers, {"shop_id": shop.id, "link_types": ["ip"]})

    assert refusal(answer) == (422, "weak_link_type", "types")
    assert row_counts(session) == before


def test_days_out_of_range_are_refused(session: Session, client: TestClient, auth: Headers) -> None:
    shop = make_shop(session)
    session.commit()

    answer = _replay(
        client, auth(), {"shop_id": shop.id, "rules": [{"source": "block if order.total > 5"}], "days": 91}
    )

    assert refusal(answer)[:2] == (422, "validation_failed")


def test_the_replay_page_lists_the_order_a_new_rule_would_stop_with_its_customer(
    session: Session, client: TestClient, login: Callable
) -> None:
    shop = make_shop(session)
    order, customer = _big_order(session, shop)
    session.commit()
    login("viewer")
    before = row_counts(session)

    page = client.get(
        "/analytics/policy-replay", params={"shop_id": shop.id, "rule_source": "block if order.total > 500"}
    )

    assert page.status_code == 200
    assert f'<a href="/orders/{order.id}">{order.number}</a>' in page.text
    assert f'<a href="/customers/{customer.id}">Ola Big</a>' in page.text
    assert "Orders screened again with the rule: 1." in page.text
    assert row_counts(session) == before


def test_the_replay_page_shows_the_compilers_caret_for_a_rule_that_does_not_compile(
    session: Session, client: TestClient, login: Callable
) -> None:
    shop = make_shop(session)
    session.commit()
    login("viewer")

    page = client.get(
        "/analytics/policy-replay", params={"shop_id": shop.id, "rule_source": "block if order.totl > 500"}
    )

    assert page.status_code == 422
    assert '<pre class="caret">block if order.totl &gt; 500\n         ^^^^^^^^^^</pre>' in page.text


def test_the_replay_page_lists_who_a_dropped_link_type_would_free(
    session: Session, client: TestClient, login: Callable
) -> None:
    shop = make_shop(session)
    _, other = _linked_pair(session, shop)
    login("viewer")

    page = client.get(
        "/analytics/policy-replay", params={"shop_id": shop.id, "links": "1", "link": ["email"]}
    )

    assert page.status_code == 200
    assert f'<a href="/customers/{other.id}">Nils New</a>' in page.text
    assert "Clusters of two or more customers: 1 today, 0 with these identifiers" in page.text
    assert "Not linked to a blocked customer" in page.text


def test_days_add_the_orders_placed_lately_to_the_open_ones(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    customer = make_customer(session, shop)
    big = make_product(session, shop, price=90000)
    closed = make_order(
        session,
        shop,
        customer=customer,
        lines=[(big, 1)],
        status="closed",
        created_at=now() - timedelta(days=3),
    )
    session.commit()
    headers = auth()
    rule = {"source": "block if order.total > 500"}

    without = _replay(client, headers, {"shop_id": shop.id, "rules": [rule]}).json()
    within = _replay(client, headers, {"shop_id": shop.id, "rules": [rule], "days": 7}).json()

    assert (without["orders_screened_with_rules"], without["moves"]) == (0, [])
    assert within["orders_screened_with_rules"] == 1
    assert [(m["id"], m["to"]) for m in within["moves"]] == [(closed.id, "block")]
