"""The only code that changes rules and named lists; each change is audited and bumps the policy.

Counting a rule's hits is the exception: screening audits the decision that matched it, and the
count only follows from that record.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import ensure_utc, now
from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.rules import policy
from storeguard.rules.compiler import CompiledRule, compile_rule
from storeguard.rules.errors import RuleErrorCode as E
from storeguard.rules.facts import FACTS
from storeguard.rules.models import NamedList, PolicyHead, PolicyVersion, Rule, RuleHit, RuleVersion
from storeguard.rules.service import PROTECTED_KEY, protected_facts, resolver_for, rules_using
from storeguard.shops.models import Shop
from storeguard.shops.service import get_shop


def _rule_state(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "source": rule.source,
        "action": rule.action,
        "enabled": rule.enabled,
        "priority": rule.priority,
        "version": rule.version,
        "shop_id": rule.shop_id,
    }


def _check_shop(session: Session, shop_id: int | None) -> None:
    if shop_id is not None:
        get_shop(session, shop_id, field="shop_id")


def validate_source(session: Session, source: str, shop_id: int | None) -> CompiledRule:
    """Compile ``source`` against the facts and the lists the shop can name, or raise a RuleError
    (``protected_fact`` for a fact the shop marked protected)."""
    return compile_rule(source, FACTS, resolver_for(session, shop_id), protected_facts(session, shop_id))


def set_protected_facts(
    session: Session, *, shop_id: int, facts: Iterable[str], actor: Actor, reason: str | None = None
) -> list[str]:
    """Mark the facts no rule of the shop may use (a characteristic such as age or gender must not
    decide). Refused while a live rule reads one of them: the merchant changes the rule first."""
    get_shop(session, shop_id, field="shop_id")
    shop = session.scalars(select(Shop).where(Shop.id == shop_id).with_for_update(key_share=True)).one()
    wanted = sorted(set(facts))
    unknown = [name for name in wanted if name not in FACTS]
    if unknown:
        raise Invalid(E.unknown_field, f"unknown fact {unknown[0]!r}; see GET /v1/rules/facts", field="facts")
    in_use = rules_using(session, shop_id, frozenset(wanted))
    if in_use:
        names = ", ".join(f"#{r.id} {r.name}" for r in in_use)
        raise Conflict(
            E.protected_fact_in_use, f"rules read these facts: {names}; change them first", field="facts"
        )
    settings = dict(shop.settings or {})
    before = sorted(settings.get(PROTECTED_KEY, []))
    settings[PROTECTED_KEY] = wanted
    shop.settings = settings
    record_event(
        session,
        actor=actor,
        action="shop.protected_facts_changed",
        subject_type="shop",
        subject_id=shop.id,
        reason=reason,
        before={"protected_facts": before},
        after={"protected_facts": wanted},
        shop_id=shop.id,
    )
    session.flush()
    return wanted


def bump_policy(session: Session, *, actor: Actor, change: str) -> PolicyVersion:
    """Number a new policy version after a change, recording what rules and lists are in force."""
    head = session.scalars(
        select(PolicyHead).where(PolicyHead.id == 1).with_for_update(key_share=True)
    ).first()
    if head is None:
        head = PolicyHead(id=1, version=0, token="")
        session.add(head)
    head.version += 1
    head.token = uuid.uuid4().hex
    rules = session.execute(
        select(Rule.id, Rule.version)
        .where(Rule.enabled.is_(True), Rule.deleted_at.is_(None))
        .order_by(Rule.id)
    )
    lists = session.execute(select(NamedList.id, NamedList.revision).order_by(NamedList.id))
    row = PolicyVersion(
        version=head.version,
        token=head.token,
        change=change[:200],
        snapshot={
            "rules": {str(rid): ver for rid, ver in rules},
            "named_lists": {str(lid): rev for lid, rev in lists},
        },
        created_at=now(),
        created_by=str(actor),
    )
    session.add(row)
    session.flush()
    return row


def _lock_rule(session: Session, rule_id: int) -> Rule:
    rule = session.scalars(select(Rule).where(Rule.id == rule_id).with_for_update(key_share=True)).first()
    if rule is None or rule.deleted_at is not None:
        raise NotFound(E.rule_not_found, f"there is no rule #{rule_id}")
    return rule


def create_rule(
    session: Session,
    *,
    name: str,
    source: str,
    actor: Actor,
    shop_id: int | None = None,
    priority: int = 100,
    enabled: bool = True,
) -> Rule:
    """Save a new rule as version 1 after checking its text; the policy version moves on."""
    name = policy.clean_rule_name(name)
    policy.check_priority(priority)
    _check_shop(session, shop_id)
    compiled = validate_source(session, source, shop_id)
    at = now()
    rule = Rule(
        shop_id=shop_id,
        name=name,
        source=source,
        action=compiled.action,
        enabled=enabled,
        priority=priority,
        version=1,
        created_by=str(actor),
        created_at=at,
        updated_at=at,
    )
    session.add(rule)
    session.flush()
    session.add(
        RuleVersion(
            rule_id=rule.id,
            version=1,
            source=source,
            action=compiled.action,
            created_at=at,
            created_by=str(actor),
        )
    )
    pv = bump_policy(session, actor=actor, change=f"rule #{rule.id} created")
    record_event(
        session,
        actor=actor,
        action="rule.created",
        subject_type="rule",
        subject_id=rule.id,
        after=_rule_state(rule),
        data={"policy_version": pv.version},
    )
    return rule


def update_rule(
    session: Session,
    *,
    rule_id: int,
    actor: Actor,
    name: str | None = None,
    source: str | None = None,
    priority: int | None = None,
    enabled: bool | None = None,
    reason: str | None = None,
) -> Rule:
    """Change a rule; a new text becomes a new version. Nothing changed means nothing recorded."""
    rule = _lock_rule(session, rule_id)
    before = _rule_state(rule)
    # Check everything before touching the row, so a refusal leaves it exactly as it was.
    new_name = policy.clean_rule_name(name) if name is not None else rule.name
    new_priority = policy.check_priority(priority) if priority is not None else rule.priority
    compiled = None
    if source is not None and source != rule.source:
        compiled = validate_source(session, source, rule.shop_id)
    rule.name, rule.priority = new_name, new_priority
    if compiled is not None and source is not None:
        rule.version += 1
        rule.source = source
        rule.action = compiled.action
        session.add(
            RuleVersion(
                rule_id=rule.id,
                version=rule.version,
                source=source,
                action=compiled.action,
                created_at=now(),
                created_by=str(actor),
            )
        )
    if enabled is not None:
        rule.enabled = enabled
    after = _rule_state(rule)
    if after == before:
        return rule
    rule.updated_at = now()
    pv = bump_policy(session, actor=actor, change=f"rule #{rule.id} updated")
    changed = {k for k in after if after[k] != before[k]}
    if changed == {"enabled"}:
        event = "rule.enabled" if rule.enabled else "rule.disabled"
    else:
        event = "rule.updated"
    record_event(
        session,
        actor=actor,
        action=event,
        subject_type="rule",
        subject_id=rule.id,
        reason=reason,
        before=before,
        after=after,
        data={"policy_version": pv.version, "changed": sorted(changed)},
    )
    return rule


def enable_rule(session: Session, *, rule_id: int, actor: Actor, reason: str | None = None) -> Rule:
    """Turn a rule on (already on: nothing happens)."""
    return update_rule(session, rule_id=rule_id, actor=actor, enabled=True, reason=reason)


def disable_rule(session: Session, *, rule_id: int, actor: Actor, reason: str | None = None) -> Rule:
    """Turn a rule off (already off: nothing happens)."""
    return update_rule(session, rule_id=rule_id, actor=actor, enabled=False, reason=reason)


def delete_rule(session: Session, *, rule_id: int, actor: Actor, reason: str | None = None) -> Rule:
    """Retire a rule: it stops running and leaves lists, but its versions and history stay."""
    rule = _lock_rule(session, rule_id)
    before = _rule_state(rule)
    at = now()
    rule.deleted_at = at
    rule.updated_at = at
    rule.enabled = False
    pv = bump_policy(session, actor=actor, change=f"rule #{rule.id} deleted")
    record_event(
        session,
        actor=actor,
        action="rule.deleted",
        subject_type="rule",
        subject_id=rule.id,
        reason=reason,
        before=before,
        after={**_rule_state(rule), "deleted_at": at.isoformat()},
        data={"policy_version": pv.version},
    )
    return rule


def create_named_list(
    session: Session,
    *,
    name: str,
    actor: Actor,
    values: Iterable[str] = (),
    description: str = "",
    shop_id: int | None = None,
) -> NamedList:
    """Create a named list rules can use as ``@name``."""
    name = policy.clean_list_name(name)
    cleaned = policy.clean_list_values(values)
    _check_shop(session, shop_id)
    clash = select(NamedList.id).where(NamedList.name == name)
    clash = clash.where(NamedList.shop_id.is_(None) if shop_id is None else NamedList.shop_id == shop_id)
    if session.scalar(clash) is not None:
        raise Conflict(E.named_list_exists, f"a named list @{name} already exists here", field="name")
    at = now()
    named = NamedList(
        shop_id=shop_id,
        name=name,
        description=(description or "").strip(),
        values=cleaned,
        revision=1,
        created_by=str(actor),
        created_at=at,
        updated_at=at,
    )
    session.add(named)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="named_list.created",
        subject_type="named_list",
        subject_id=named.id,
        after={"name": name, "shop_id": shop_id, "values": len(cleaned)},
    )
    return named


def update_named_list(
    session: Session,
    *,
    list_id: int,
    actor: Actor,
    values: Iterable[str] | None = None,
    description: str | None = None,
    reason: str | None = None,
) -> NamedList:
    """Replace a named list's values or description; rules using it see the new values at once."""
    named = session.scalars(
        select(NamedList).where(NamedList.id == list_id).with_for_update(key_share=True)
    ).first()
    if named is None:
        raise NotFound(E.named_list_not_found, f"there is no named list #{list_id}")
    old_values = list(named.values)
    old_description = named.description
    if values is not None:
        named.values = policy.clean_list_values(values)
    if description is not None:
        named.description = description.strip()
    if named.values == old_values and named.description == old_description:
        return named
    named.revision += 1
    named.updated_at = now()
    data: dict[str, Any] = {}
    if named.values != old_values:
        pv = bump_policy(session, actor=actor, change=f"named list @{named.name} updated")
        old, new = set(old_values), set(named.values)
        data = {
            "policy_version": pv.version,
            "added": sorted(new - old)[:50],
            "removed": sorted(old - new)[:50],
        }
    session.flush()
    record_event(
        session,
        actor=actor,
        action="named_list.updated",
        subject_type="named_list",
        subject_id=named.id,
        reason=reason,
        before={"values": len(old_values), "description": old_description, "revision": named.revision - 1},
        after={"values": len(named.values), "description": named.description, "revision": named.revision},
        data=data,
    )
    return named


def count_rule_hits(session: Session, rule_ids: Iterable[int], at: datetime) -> None:
    """Add one hit on ``at``'s UTC day to each rule named, once however often it is named.

    One statement inserts the day's row or adds to it, so concurrent decisions never lose a hit
    and need no lock taken first; the ids go in order, so two decisions lock their rows alike.
    Nothing is audited here: the decision that matched the rules is.
    """
    ids = sorted(set(rule_ids))
    if not ids:
        return
    day = ensure_utc(at).date()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(RuleHit).values([{"rule_id": rule_id, "day": day, "hits": 1} for rule_id in ids])
    session.execute(
        stmt.on_conflict_do_update(index_elements=["rule_id", "day"], set_={"hits": RuleHit.hits + 1})
    )
