"""The rules pages, tested like routes: the editor checks as one types, saves through the actions, refuses."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storeguard.rules.models import Rule, RuleVersion


def _rules(session) -> list[tuple]:
    return [tuple(r) for r in session.execute(select(Rule.name, Rule.source, Rule.version, Rule.enabled))]


def test_the_check_shows_the_line_the_caret_and_the_nearest_fact(client, login):
    me = login("viewer")

    answer = client.post(
        "/rules/check", data={"source": "review if order.totl > 3"}, headers={"X-CSRF-Token": me.csrf}
    )

    assert answer.status_code == 200
    assert "Line 1, column 11:" in answer.text and "did you mean order.total?" in answer.text
    assert "review if order.totl &gt; 3\n          ^^^^^^^^^^" in answer.text


def test_an_admin_saves_a_valid_rule_as_version_1(client, login, session):
    me = login("admin")

    answer = client.post(
        "/rules/new",
        data={
            "csrf_token": me.csrf,
            "name": "Big first orders",
            "source": "review if order.total > 300",
            "priority": "10",
            "enabled": "on",
        },
        follow_redirects=False,
    )

    assert answer.status_code == 303
    assert _rules(session) == [("Big first orders", "review if order.total > 300", 1, True)]


def test_a_rule_with_a_typo_is_shown_again_with_its_caret_and_nothing_is_saved(client, login, session):
    me = login("admin")

    answer = client.post(
        "/rules/new",
        data={"csrf_token": me.csrf, "name": "Typo", "source": "review if order.totl > 3", "priority": "1"},
    )

    assert answer.status_code == 422
    assert "did you mean order.total?" in answer.text
    assert _rules(session) == []


def test_a_new_text_becomes_version_2(client, login, session):
    me = login("admin")
    client.post(
        "/rules/new",
        data={
            "csrf_token": me.csrf,
            "name": "R",
            "source": "review if order.total > 3",
            "priority": "1",
            "enabled": "on",
        },
    )
    rule_id = session.scalar(select(Rule.id))

    client.post(
        f"/rules/{rule_id}",
        data={
            "csrf_token": me.csrf,
            "name": "R",
            "source": "review if order.total > 5",
            "priority": "1",
            "enabled": "on",
        },
    )
    page = client.get(f"/rules/{rule_id}")

    assert session.scalar(select(func.count()).select_from(RuleVersion)) == 2
    assert "-review if order.total &gt; 3" in page.text and "+review if order.total &gt; 5" in page.text


@pytest.mark.parametrize("role", ["viewer", "agent"])
def test_only_admins_may_save_rules_and_a_forged_post_changes_nothing(client, login, session, role):
    me = login(role)

    answer = client.post(
        "/rules/new", data={"csrf_token": me.csrf, "name": "R", "source": "review if order.total > 3"}
    )

    assert answer.status_code == 403
    assert _rules(session) == []
