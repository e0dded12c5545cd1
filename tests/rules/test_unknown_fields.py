"""Rule routes refuse a field they do not know: a misspelt switch never leaves a rule as it was unseen."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeguard.core.enums import Role
from storeguard.rules.models import Rule
from tests.refusals import refusal, row_counts


def test_a_misspelt_enabled_on_a_rule_is_refused_and_the_rule_stays_on_at_its_version(
    session: Session, client: TestClient, auth
) -> None:  # noqa: ANN001
    admin = auth(Role.admin)
    made = client.post(
        "/v1/rules", json={"name": "Big", "source": "review if order.total > 500"}, headers=admin
    ).json()
    before = row_counts(session)

    answer = client.patch(
        f"/v1/rules/{made['id']}", json={"enabeld": False, "reason": "noisy"}, headers=admin
    )

    assert refusal(answer) == (422, "validation_failed", "enabeld")
    session.expire_all()
    rule = session.get(Rule, made["id"])
    assert (rule.enabled, rule.version) == (True, 1)
    assert row_counts(session) == before
