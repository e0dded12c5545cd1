"""The rules pages, tested like routes: the editor checks as one types, saves through the actions, refuses."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storeguard.core.actor import Actor
from storeguard.core.clock import frozen
from storeguard.core.enums import Role
from storeguard.rules.actions import count_rule_hits, create_rule
from storeguard.rules.models import Rule, RuleHit, RuleVersion

OWNER = Actor("api_key", "test-owner", Role.owner)
NOON = datetime(2026, 3, 15, 12, tzinfo=UTC)


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


def _counted_rule(session) -> Rule:
    """A rule with 3 hits today, 5 in 7 days and 1,234 in 30 days (today is NOON's day)."""
    rule = create_rule(session, name="Counted", source="review if order.total > 3", actor=OWNER)
    count_rule_hits(session, [rule.id, rule.id], NOON)  # one decision: one hit
    count_rule_hits(session, [rule.id], NOON - timedelta(hours=1))
    count_rule_hits(session, [rule.id], NOON - timedelta(hours=2))
    session.add_all(
        [
            RuleHit(rule_id=rule.id, day=date(2026, 3, 9), hits=2),
            RuleHit(rule_id=rule.id, day=date(2026, 2, 14), hits=1229),
            RuleHit(rule_id=rule.id, day=date(2026, 2, 13), hits=50),  # 31 days ago: not shown
        ]
    )
    session.flush()
    return rule


def test_the_rules_page_shows_each_rules_hits_today_in_7_and_in_30_days(client, login, session):
    rule = _counted_rule(session)
    quiet = create_rule(session, name="Quiet", source="review if order.total > 9", actor=OWNER)

    with frozen(NOON):
        login("viewer")
        page = client.get("/rules")

    assert page.status_code == 200
    cells = {
        r.id: re.findall(
            r'<td class="num">([^<]*)</td>', page.text.split(f'href="/rules/{r.id}"')[1].split("</tr>")[0]
        )
        for r in (rule, quiet)
    }
    # priority, version, then the hits: today, 7 days, 30 days
    assert cells == {rule.id: ["100", "1", "3", "5", "1,234"], quiet.id: ["100", "1", "0", "0", "0"]}


def test_the_rules_page_writes_hit_counts_as_the_pages_language_does(client, login, session):
    rule = _counted_rule(session)

    with frozen(NOON):
        login("viewer", locale="nb")
        page = client.get("/rules")

    row = page.text.split(f'href="/rules/{rule.id}"')[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[-1] == "1\xa0234"


def test_the_rule_editor_shows_the_rules_hits(client, login, session):
    rule = _counted_rule(session)

    with frozen(NOON):
        login("viewer")
        page = client.get(f"/rules/{rule.id}")

    hits = page.text.split('id="hits-h"')[1].split("</section>")[0]
    assert re.findall(r"<dt>([^<]*)</dt><dd class=\"num\">([^<]*)</dd>", hits) == [
        ("Today", "3"),
        ("Last 7 days", "5"),
        ("Last 30 days", "1,234"),
    ]
