"""Policies as versioned documents: publishing, refusals, and the version in effect at a purchase."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from storeguard.core.enums import Role
from storeguard.policies.models import PolicyVersion
from storeguard.policies.service import policy_in_effect
from tests.factories import make_shop

JAN = datetime(2026, 1, 1, tzinfo=UTC)
JUN = datetime(2026, 6, 1, tzinfo=UTC)


def _publish(client, auth, shop, at, body="Refunds within 30 days.", kind="refund"):
    return client.post(
        "/v1/policies",
        json={
            "shop_id": shop.id,
            "kind": kind,
            "title": "Refunds",
            "body": body,
            "effective_from": at.isoformat(),
        },
        headers=auth(Role.admin),
    )


def test_publishing_twice_makes_versions_one_and_two(client, auth, session):
    shop = make_shop(session)

    first = _publish(client, auth, shop, JAN).json()
    second = _publish(client, auth, shop, JUN, body="Refunds within 14 days.").json()

    assert (first["version"], second["version"], second["kind"]) == (1, 2, "refund")


def test_the_version_in_effect_at_a_purchase_is_the_one_published_before_it(client, auth, session):
    shop = make_shop(session)
    _publish(client, auth, shop, JAN)
    _publish(client, auth, shop, JUN, body="Refunds within 14 days.")

    in_march = policy_in_effect(session, shop_id=shop.id, kind="refund", at=datetime(2026, 3, 1, tzinfo=UTC))
    in_july = client.get(
        "/v1/policies/in-effect",
        params={"shop_id": shop.id, "kind": "refund", "at": "2026-07-01T00:00:00Z"},
        headers=auth(Role.viewer),
    ).json()

    assert (in_march.version, in_march.body) == (1, "Refunds within 30 days.")
    assert (in_july["version"], in_july["body"]) == (2, "Refunds within 14 days.")


def test_no_policy_before_the_first_version_is_a_404(client, auth, session):
    shop = make_shop(session)
    _publish(client, auth, shop, JUN)

    answer = client.get(
        "/v1/policies/in-effect",
        params={"shop_id": shop.id, "kind": "refund", "at": "2026-01-01T00:00:00Z"},
        headers=auth(Role.viewer),
    )

    assert (answer.status_code, answer.json()["code"]) == (404, "policy_not_found")


def test_a_version_taking_effect_before_the_last_is_refused_and_nothing_is_kept(client, auth, session):
    shop = make_shop(session)
    _publish(client, auth, shop, JUN)

    answer = _publish(client, auth, shop, JAN, body="Backdated")

    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (
        409,
        "effective_before_previous",
        "effective_from",
    )
    assert session.scalar(select(func.count()).select_from(PolicyVersion)) == 1


def test_an_agent_may_not_publish_a_policy(client, auth, session):
    shop = make_shop(session)

    answer = client.post(
        "/v1/policies",
        json={"shop_id": shop.id, "kind": "return", "title": "Returns", "body": "30 days"},
        headers=auth(Role.agent),
    )

    assert answer.status_code == 403
    assert session.scalar(select(func.count()).select_from(PolicyVersion)) == 0


def test_blank_policy_text_is_refused(client, auth, session):
    shop = make_shop(session)

    answer = _publish(client, auth, shop, JAN, body="   ")

    assert (answer.status_code, answer.json()["code"]) == (422, "policy_text_required")
