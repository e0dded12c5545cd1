"""A rule's hits: counted per UTC day by one upsert, read back as today, 7 and 30 days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.clock import frozen
from storeguard.core.enums import Role
from storeguard.rules.actions import count_rule_hits, create_rule
from storeguard.rules.models import Rule, RuleHit
from storeguard.rules.service import NO_HITS, RuleHits, hits_of_rule, rule_hits
from tests.factories import make_shop

OWNER = Actor("api_key", "test-owner", Role.owner)
TODAY = date(2026, 3, 15)
NOON = datetime(2026, 3, 15, 12, tzinfo=UTC)


def _rule(session: Session, name: str = "R", shop_id: int | None = None) -> Rule:
    return create_rule(session, name=name, source="review if order.total > 1", actor=OWNER, shop_id=shop_id)


def _count(session: Session, rule_id: int, days_ago: int, times: int) -> None:
    for _ in range(times):
        count_rule_hits(session, [rule_id], NOON - timedelta(days=days_ago))


def _rows(session: Session) -> list[tuple[int, date, int]]:
    stmt = select(RuleHit.rule_id, RuleHit.day, RuleHit.hits).order_by(RuleHit.rule_id, RuleHit.day)
    return [tuple(r) for r in session.execute(stmt)]


def test_count_rule_hits_adds_to_the_days_row(session: Session) -> None:
    rule = _rule(session)

    count_rule_hits(session, [rule.id], NOON)
    count_rule_hits(session, [rule.id], NOON + timedelta(hours=3))

    assert _rows(session) == [(rule.id, TODAY, 2)]


def test_count_rule_hits_counts_a_rule_named_twice_once(session: Session) -> None:
    first, second = _rule(session, "A"), _rule(session, "B")

    count_rule_hits(session, [second.id, first.id, second.id], NOON)

    assert _rows(session) == [(first.id, TODAY, 1), (second.id, TODAY, 1)]


def test_count_rule_hits_counts_on_the_utc_day(session: Session) -> None:
    rule = _rule(session)
    evening_in_new_york = datetime(2026, 3, 14, 21, 30, tzinfo=timezone(timedelta(hours=-5)))

    count_rule_hits(session, [rule.id], evening_in_new_york)

    assert _rows(session) == [(rule.id, date(2026, 3, 15), 1)]


def test_count_rule_hits_of_no_rule_writes_nothing(session: Session) -> None:
    count_rule_hits(session, [], NOON)

    assert _rows(session) == []


def test_rule_hits_sums_today_the_last_7_and_the_last_30_days(session: Session) -> None:
    rule = _rule(session)
    _count(session, rule.id, 0, 3)  # today
    _count(session, rule.id, 6, 2)  # the first day of the 7
    _count(session, rule.id, 7, 4)  # just before the 7
    _count(session, rule.id, 29, 5)  # the first day of the 30
    _count(session, rule.id, 30, 7)  # just before the 30: left out
    _count(session, rule.id, -1, 11)  # tomorrow: left out

    assert rule_hits(session, today=TODAY) == {rule.id: RuleHits(today=3, week=5, month=14)}


def test_rule_hits_are_read_on_todays_utc_date_by_default(session: Session) -> None:
    rule = _rule(session)
    _count(session, rule.id, 1, 2)

    with frozen(NOON):
        assert rule_hits(session) == {rule.id: RuleHits(today=0, week=2, month=2)}


def test_rule_hits_of_a_shop_leave_out_another_shops_rules(session: Session) -> None:
    mine, theirs = make_shop(session), make_shop(session)
    everyone, own, other = (
        _rule(session, "all"),
        _rule(session, "own", mine.id),
        _rule(session, "x", theirs.id),
    )
    for rule in (everyone, own, other):
        _count(session, rule.id, 0, 1)

    assert rule_hits(session, shop_id=mine.id, today=TODAY) == {
        everyone.id: RuleHits(1, 1, 1),
        own.id: RuleHits(1, 1, 1),
    }


def test_hits_of_a_rule_without_hits_are_zero(session: Session) -> None:
    counted, quiet = _rule(session, "A"), _rule(session, "B")
    _count(session, counted.id, 0, 1)

    assert hits_of_rule(session, quiet.id, today=TODAY) == NO_HITS == RuleHits(0, 0, 0)
    assert hits_of_rule(session, counted.id, today=TODAY) == RuleHits(1, 1, 1)
