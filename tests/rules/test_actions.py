"""Saving rules: versions, the policy version, named lists, audit, and refusals that change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.audit import events_for
from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.core.models import AuditEvent
from storeguard.rules import RuleError, actions, service
from storeguard.rules.models import NamedList, PolicyVersion, Rule, RuleVersion
from tests.conftest import TEST_ACTOR
from tests.factories import make_shop
from tests.rules.helpers import base_facts

BIG_FIRST = "review if order.total > 500 and customer.orders_count == 0"


def _counts(session: Session) -> tuple[int, int, int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model))
        for model in (Rule, RuleVersion, PolicyVersion, NamedList, AuditEvent)
    )


def test_create_rule_saves_version_one_and_moves_the_policy_on(session: Session) -> None:
    before, _ = service.current_policy(session)
    rule = actions.create_rule(session, name="Big first orders", source=BIG_FIRST, actor=TEST_ACTOR)
    assert (rule.action, rule.version, rule.enabled, rule.priority) == ("review", 1, True, 100)
    assert [(v.version, v.source) for v in service.list_versions(session, rule.id)] == [(1, BIG_FIRST)]
    version, token = service.current_policy(session)
    assert version == before + 1 and token
    assert service.get_policy_version(session, version).snapshot["rules"][str(rule.id)] == 1
    [event] = events_for(session, "rule", rule.id)
    assert event.action == "rule.created"
    assert event.after["source"] == BIG_FIRST
    assert event.data == {"policy_version": version}


def test_create_rule_refuses_a_bad_rule_and_stores_nothing(session: Session) -> None:
    before = _counts(session)
    with pytest.raises(RuleError) as info:
        actions.create_rule(session, name="typo", source="review if order.totl > 500", actor=TEST_ACTOR)
    assert info.value.code == "unknown_field"
    assert _counts(session) == before


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"name": "  "}, "name_required"),
        ({"name": "x" * 201}, "name_too_long"),
        ({"priority": 10**7}, "priority_out_of_range"),
    ],
)
def test_create_rule_refuses_bad_fields_and_stores_nothing(session: Session, kwargs: dict, code: str) -> None:
    before = _counts(session)
    args = {"name": "ok", "source": BIG_FIRST, "actor": TEST_ACTOR} | kwargs
    with pytest.raises(Invalid) as info:
        actions.create_rule(session, **args)
    assert info.value.code == code
    assert _counts(session) == before


def test_create_rule_for_an_unknown_shop_is_refused(session: Session) -> None:
    with pytest.raises(NotFound) as info:
        actions.create_rule(session, name="x", source=BIG_FIRST, shop_id=999_999, actor=TEST_ACTOR)
    assert info.value.code == "shop_not_found"


def test_update_rule_with_new_text_adds_a_version(session: Session) -> None:
    rule = actions.create_rule(session, name="Big", source=BIG_FIRST, actor=TEST_ACTOR)
    v1, _ = service.current_policy(session)
    actions.update_rule(
        session, rule_id=rule.id, source="block if order.total > 900", actor=TEST_ACTOR, reason="tighten"
    )
    assert (rule.version, rule.action, rule.source) == (2, "block", "block if order.total > 900")
    assert [v.version for v in service.list_versions(session, rule.id)] == [2, 1]
    assert service.list_versions(session, rule.id)[1].source == BIG_FIRST
    assert service.current_policy(session)[0] == v1 + 1
    event = events_for(session, "rule", rule.id)[-1]
    assert (event.action, event.reason, event.before["version"], event.after["version"]) == (
        "rule.updated",
        "tighten",
        1,
        2,
    )
    assert event.data["changed"] == ["action", "source", "version"]


def test_update_rule_changing_only_name_or_priority_keeps_the_version(session: Session) -> None:
    rule = actions.create_rule(session, name="Big", source=BIG_FIRST, actor=TEST_ACTOR)
    actions.update_rule(session, rule_id=rule.id, name="Bigger", priority=5, actor=TEST_ACTOR)
    assert (rule.name, rule.priority, rule.version) == ("Bigger", 5, 1)
    assert len(service.list_versions(session, rule.id)) == 1


def test_update_rule_without_a_change_records_nothing(session: Session) -> None:
    rule = actions.create_rule(session, name="Big", source=BIG_FIRST, actor=TEST_ACTOR)
    before = _counts(session)
    actions.update_rule(session, rule_id=rule.id, source=BIG_FIRST, name="Big", actor=TEST_ACTOR)
    assert _counts(session) == before


def test_update_rule_refusing_bad_text_leaves_the_rule_as_it_was(session: Session) -> None:
    rule = actions.create_rule(session, name="Big", source=BIG_FIRST, actor=TEST_ACTOR)
    before = _counts(session)
    with pytest.raises(RuleError) as info:
        actions.update_rule(
            session, rule_id=rule.id, name="Renamed", source="block if order.total > 'x'", actor=TEST_ACTOR
        )
    assert info.value.code == "type_mismatch"
    assert (rule.name, rule.source, rule.version) == ("Big", BIG_FIRST, 1)
    assert _counts(session) == before


def test_disable_and_enable_are_audited_and_idempotent(session: Session) -> None:
    rule = actions.create_rule(session, name="Big", source=BIG_FIRST, actor=TEST_ACTOR)
    actions.disable_rule(session, rule_id=rule.id, actor=TEST_ACTOR, reason="too many false positives")
    actions.disable_rule(session, rule_id=rule.id, actor=TEST_ACTOR)
    actions.enable_rule(session, rule_id=rule.id, actor=TEST_ACTOR)
    assert [e.action for e in events_for(session, "rule", rule.id)] == [
        "rule.created",
        "rule.disabled",
        "rule.enabled",
    ]
    assert rule.enabled is True and rule.version == 1


def test_delete_rule_is_soft_and_keeps_history(session: Session) -> None:
    rule = actions.create_rule(session, name="Big", source=BIG_FIRST, actor=TEST_ACTOR)
    actions.delete_rule(session, rule_id=rule.id, actor=TEST_ACTOR, reason="replaced")
    assert rule.deleted_at is not None and rule.enabled is False
    with pytest.raises(NotFound):
        service.get_rule(session, rule.id)
    assert service.get_rule(session, rule.id, include_deleted=True).id == rule.id
    assert len(service.list_versions(session, rule.id)) == 1
    assert events_for(session, "rule", rule.id)[-1].action == "rule.deleted"
    with pytest.raises(NotFound):
        actions.update_rule(session, rule_id=rule.id, name="again", actor=TEST_ACTOR)
    assert rule.id not in [r.id for r in service.list_rules(session)[0]]


def test_active_ruleset_holds_enabled_rules_for_the_shop_in_priority_order(session: Session) -> None:
    shop, other = make_shop(session), make_shop(session)
    every = actions.create_rule(
        session, name="all", source="block if order.total > 900", priority=50, actor=TEST_ACTOR
    )
    own = actions.create_rule(
        session,
        name="own",
        source="review if order.total > 100",
        shop_id=shop.id,
        priority=10,
        actor=TEST_ACTOR,
    )
    actions.create_rule(
        session, name="theirs", source="review if order.total > 1", shop_id=other.id, actor=TEST_ACTOR
    )
    off = actions.create_rule(
        session, name="off", source="verify if order.total > 1", enabled=False, actor=TEST_ACTOR
    )
    ruleset = service.active_ruleset(session, shop.id)
    assert [r.rule_id for r in ruleset.rules] == [own.id, every.id]
    assert ruleset.policy_version == service.current_policy(session)[0]
    fired = ruleset.matching(base_facts(order__total=950.0))
    assert [(r.rule_id, r.action, r.version) for r in fired] == [
        (own.id, "review", 1),
        (every.id, "block", 1),
    ]
    assert off.id not in [r.rule_id for r in ruleset.rules]


def test_active_ruleset_is_compiled_once_per_policy_version(session: Session) -> None:
    rule = actions.create_rule(session, name="Big", source=BIG_FIRST, actor=TEST_ACTOR)
    first = service.active_ruleset(session, None)
    assert service.active_ruleset(session, None) is first
    actions.update_rule(session, rule_id=rule.id, source="block if order.total > 1", actor=TEST_ACTOR)
    second = service.active_ruleset(session, None)
    assert second is not first
    assert second.policy_version == first.policy_version + 1
    assert [(r.version, r.action) for r in second.rules] == [(2, "block")]


def test_named_list_is_usable_in_rules_and_updates_move_the_policy(session: Session) -> None:
    named = actions.create_named_list(
        session,
        name="high_risk_countries",
        values=[" NG ", "RU", "NG", ""],
        description="Fraud",
        actor=TEST_ACTOR,
    )
    assert named.values == ["NG", "RU"]
    rule = actions.create_rule(
        session,
        name="risky",
        source="review if order.shipping_country in @high_risk_countries",
        actor=TEST_ACTOR,
    )
    ruleset = service.active_ruleset(session, None)
    assert [r.rule_id for r in ruleset.matching(base_facts(order__shipping_country="RU"))] == [rule.id]
    version = service.current_policy(session)[0]
    actions.update_named_list(session, list_id=named.id, values=["NG"], actor=TEST_ACTOR)
    assert named.revision == 2
    assert service.current_policy(session)[0] == version + 1
    assert service.active_ruleset(session, None).matching(base_facts(order__shipping_country="RU")) == []
    [created, updated] = events_for(session, "named_list", named.id)
    assert (created.action, updated.action, updated.data["removed"]) == (
        "named_list.created",
        "named_list.updated",
        ["RU"],
    )


def test_a_shop_list_wins_over_an_every_shop_list_of_the_same_name(session: Session) -> None:
    shop = make_shop(session)
    actions.create_named_list(session, name="vips", values=["a@x.com"], actor=TEST_ACTOR)
    actions.create_named_list(session, name="vips", values=["b@x.com"], shop_id=shop.id, actor=TEST_ACTOR)
    assert set(service.resolver_for(session, shop.id)["vips"]) == {"b@x.com"}
    assert set(service.resolver_for(session, None)["vips"]) == {"a@x.com"}


def test_a_rule_naming_a_list_of_another_shop_is_refused(session: Session) -> None:
    shop = make_shop(session)
    actions.create_named_list(session, name="mine", values=["x"], shop_id=shop.id, actor=TEST_ACTOR)
    with pytest.raises(RuleError) as info:
        actions.create_rule(session, name="x", source="block if email.domain in @mine", actor=TEST_ACTOR)
    assert info.value.code == "unknown_list"


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"name": "Has Caps"}, Invalid, "named_list_name_invalid"),
        ({"name": "disposable_domains"}, Invalid, "named_list_builtin"),
        ({"name": "ok", "values": ["x" * 256]}, Invalid, "named_list_value_invalid"),
        ({"name": "ok", "values": [str(i) for i in range(10_001)]}, Invalid, "named_list_too_large"),
    ],
)
def test_create_named_list_refuses_bad_input_and_stores_nothing(
    session: Session, kwargs: dict, error: type, code: str
) -> None:
    before = _counts(session)
    with pytest.raises(error) as info:
        actions.create_named_list(session, actor=TEST_ACTOR, **kwargs)
    assert info.value.code == code
    assert _counts(session) == before


def test_create_named_list_refuses_a_duplicate_name(session: Session) -> None:
    actions.create_named_list(session, name="dup", values=["x"], actor=TEST_ACTOR)
    before = _counts(session)
    with pytest.raises(Conflict) as info:
        actions.create_named_list(session, name="dup", values=["y"], actor=TEST_ACTOR)
    assert info.value.code == "named_list_exists"
    assert _counts(session) == before


def test_a_rule_that_stops_compiling_is_skipped_and_named(session: Session) -> None:
    rule = actions.create_rule(session, name="Big", source=BIG_FIRST, actor=TEST_ACTOR)
    rule.source = "review if order.retired_fact > 1"  # as if a fact were retired after the rule was saved
    actions.bump_policy(session, actor=TEST_ACTOR, change="test")
    ruleset = service.active_ruleset(session, None)
    assert ruleset.rules == ()
    assert ruleset.broken[0][0] == rule.id
    assert "unknown fact 'order.retired_fact'" in ruleset.broken[0][1]
