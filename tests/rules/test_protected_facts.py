"""Facts the merchant marks protected: no rule may use them, and marking one in use is refused."""

from __future__ import annotations

from sqlalchemy import select

from storeguard.core.enums import Role
from storeguard.core.models import AuditEvent
from storeguard.rules.facts import FACTS
from storeguard.rules.models import Rule
from tests.factories import make_shop

RULE = {"name": "Far away", "source": "block if order.shipping_country == 'KP'"}


def _protect(client, auth, shop, facts):
    return client.put(
        "/v1/rules/protected-facts", json={"shop_id": shop.id, "facts": facts}, headers=auth(Role.admin)
    )


def test_a_rule_on_a_protected_fact_is_refused_at_the_fact(client, auth, session):
    shop = make_shop(session)
    _protect(client, auth, shop, ["order.shipping_country"])

    answer = client.post("/v1/rules", json={**RULE, "shop_id": shop.id}, headers=auth(Role.admin))

    assert (answer.status_code, answer.json()["code"]) == (422, "protected_fact")
    assert session.scalar(select(Rule)) is None


def test_a_protected_fact_is_kept_in_the_shops_list_and_audited(client, auth, session):
    shop = make_shop(session)

    answer = _protect(client, auth, shop, ["order.shipping_country"])

    shown = client.get(
        "/v1/rules/protected-facts", params={"shop_id": shop.id}, headers=auth(Role.viewer)
    ).json()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "shop.protected_facts_changed"))
    assert (answer.status_code, shown["facts"]) == (200, ["order.shipping_country"])
    assert event.after == {"protected_facts": ["order.shipping_country"]}


def test_marking_a_fact_a_live_rule_reads_is_refused_naming_the_rule(client, auth, session):
    shop = make_shop(session)
    rule = client.post("/v1/rules", json={**RULE, "shop_id": shop.id}, headers=auth(Role.admin)).json()

    answer = _protect(client, auth, shop, ["order.shipping_country"])

    assert (answer.status_code, answer.json()["code"]) == (409, "protected_fact_in_use")
    assert f"#{rule['id']}" in answer.json()["detail"]
    assert (
        client.get(
            "/v1/rules/protected-facts", params={"shop_id": shop.id}, headers=auth(Role.viewer)
        ).json()["facts"]
        == []
    )


def test_an_unknown_fact_cannot_be_marked(client, auth, session):
    shop = make_shop(session)

    answer = _protect(client, auth, shop, ["customer.religion"])

    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (
        422,
        "unknown_field",
        "facts",
    )


def test_a_viewer_may_not_mark_facts(client, auth, session):
    shop = make_shop(session)

    answer = client.put(
        "/v1/rules/protected-facts", json={"shop_id": shop.id, "facts": []}, headers=auth(Role.viewer)
    )

    assert answer.status_code == 403


def test_the_catalogue_marks_none_of_its_own_facts_protected(session):
    shop = make_shop(session)

    assert shop.settings.get("protected_facts", []) == []
    assert all(not getattr(spec, "protected", False) for spec in FACTS.values())
