"""Reading rules, versions, hits and named lists, and the compiled rule set screening runs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from threading import Lock
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.errors import NotFound
from storeguard.core.pages import fetch_page
from storeguard.core.prepared import Driver, Prepared
from storeguard.rules.compiler import CompiledRule, compile_rule
from storeguard.rules.errors import RuleError, RuleErrorCode
from storeguard.rules.errors import RuleErrorCode as E
from storeguard.rules.facts import FACTS
from storeguard.rules.index import RuleIndex
from storeguard.rules.models import NamedList, PolicyHead, PolicyVersion, Rule, RuleHit, RuleVersion
from storeguard.rules.named_lists import NamedLists
from storeguard.shops.models import Shop

# Where a shop keeps the facts it marked protected, in its settings.
PROTECTED_KEY = "protected_facts"


def _scope(column, shop_id: int | None):  # noqa: ANN001, ANN202 - a SQL expression
    """Rows for every shop, plus the shop's own when ``shop_id`` is given."""
    return column.is_(None) if shop_id is None else or_(column.is_(None), column == shop_id)


def list_rules(
    session: Session,
    *,
    shop_id: int | None = None,
    enabled: bool | None = None,
    include_deleted: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Rule], int]:
    """Return a page of rules in evaluation order (priority, then id) and the total count."""
    stmt = select(Rule)
    if shop_id is not None:
        stmt = stmt.where(_scope(Rule.shop_id, shop_id))
    if enabled is not None:
        stmt = stmt.where(Rule.enabled.is_(enabled))
    if not include_deleted:
        stmt = stmt.where(Rule.deleted_at.is_(None))
    return fetch_page(session, stmt, Rule.priority, Rule.id, limit=limit, offset=offset)


def get_rule(session: Session, rule_id: int, *, include_deleted: bool = False) -> Rule:
    """Return a rule or answer 404 (a deleted rule counts as gone unless asked for)."""
    rule = session.get(Rule, rule_id)
    if rule is None or (rule.deleted_at is not None and not include_deleted):
        raise NotFound(E.rule_not_found, f"there is no rule #{rule_id}")
    return rule


def list_versions(session: Session, rule_id: int) -> list[RuleVersion]:
    """Return every saved text of a rule, newest first (deleted rules keep their history)."""
    get_rule(session, rule_id, include_deleted=True)
    stmt = select(RuleVersion).where(RuleVersion.rule_id == rule_id).order_by(RuleVersion.version.desc())
    return list(session.scalars(stmt))


@dataclass(frozen=True, slots=True)
class RuleHits:
    """How many recorded decisions a rule matched: today, in the last 7 and the last 30 UTC days."""

    today: int = 0
    week: int = 0
    month: int = 0


NO_HITS = RuleHits()


def rule_hits(
    session: Session, *, shop_id: int | None = None, rule_id: int | None = None, today: date | None = None
) -> dict[int, RuleHits]:
    """Return the hits of the rules (a shop's, or one) that matched in the last 30 UTC days.

    The windows end with ``today`` (the UTC date by default) and include it: 7 days is today and
    the 6 before. One grouped query over at most 30 rows a rule; a rule without hits is absent.
    """
    today = today or now().date()
    week_from, month_from = today - timedelta(days=6), today - timedelta(days=29)
    stmt = (
        select(
            RuleHit.rule_id,
            func.sum(case((RuleHit.day == today, RuleHit.hits), else_=0)),
            func.sum(case((RuleHit.day >= week_from, RuleHit.hits), else_=0)),
            func.sum(RuleHit.hits),
        )
        .where(RuleHit.day >= month_from, RuleHit.day <= today)
        .group_by(RuleHit.rule_id)
    )
    if shop_id is not None:
        stmt = stmt.join(Rule, Rule.id == RuleHit.rule_id).where(_scope(Rule.shop_id, shop_id))
    if rule_id is not None:
        stmt = stmt.where(RuleHit.rule_id == rule_id)
    return {rid: RuleHits(int(t), int(w), int(m)) for rid, t, w, m in session.execute(stmt)}


def hits_of_rule(session: Session, rule_id: int, *, today: date | None = None) -> RuleHits:
    """Return one rule's hits today, in the last 7 and the last 30 UTC days."""
    return rule_hits(session, rule_id=rule_id, today=today).get(rule_id, NO_HITS)


def list_named_lists(
    session: Session, *, shop_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[NamedList], int]:
    """Return a page of the merchant's named lists, by name, and the total count."""
    stmt = select(NamedList)
    if shop_id is not None:
        stmt = stmt.where(_scope(NamedList.shop_id, shop_id))
    return fetch_page(session, stmt, NamedList.name, NamedList.id, limit=limit, offset=offset)


def get_named_list(session: Session, list_id: int) -> NamedList:
    """Return a named list or answer 404."""
    named = session.get(NamedList, list_id)
    if named is None:
        raise NotFound(E.named_list_not_found, f"there is no named list #{list_id}")
    return named


def resolver_for(session: Session, shop_id: int | None) -> NamedLists:
    """Return the lists a rule of ``shop_id`` may name: built-in, every-shop and the shop's own."""
    stmt = select(NamedList).where(_scope(NamedList.shop_id, shop_id))
    # A shop's own list wins over an every-shop list of the same name.
    rows = sorted(session.scalars(stmt), key=lambda n: n.shop_id is not None)
    return NamedLists({n.name: n.values for n in rows})


# Read on every screening to find the compiled rule set: one statement compiled once.
_HEAD = Prepared(lambda: select(PolicyHead.version, PolicyHead.token).where(PolicyHead.id == 1))


def current_policy(session: Session) -> tuple[int, str | None]:
    """Return the current policy version and its token (0 and None before any rule change)."""
    rows = _HEAD.rows(session, {})
    return (rows[0][0], rows[0][1]) if rows else (0, None)


def get_policy_version(session: Session, version: int) -> PolicyVersion:
    """Return one recorded policy version (what was in force for a stored decision)."""
    row = session.get(PolicyVersion, version)
    if row is None:
        raise NotFound(RuleErrorCode.policy_version_not_found, f"there is no policy version {version}")
    return row


@dataclass(frozen=True, slots=True)
class ActiveRule:
    """An enabled rule, compiled, with the version of its text."""

    rule_id: int
    version: int
    name: str
    priority: int
    compiled: CompiledRule

    @property
    def action(self) -> str:
        return self.compiled.action


@dataclass(frozen=True, slots=True)
class ActiveRuleset:
    """The rules in force for one shop at one policy version, in evaluation order."""

    policy_version: int
    rules: tuple[ActiveRule, ...]
    # Rules that no longer compile (a fact was retired): skipped, and named so someone can fix them.
    broken: tuple[tuple[int, str], ...] = ()
    # Each rule's test, and the index of their guards (``rules.index``): screening runs every
    # order past the rule set, and a shop may have hundreds of threshold rules.
    _tests: tuple[Callable[[Any], bool], ...] = field(default=(), init=False, repr=False, compare=False)
    _index: RuleIndex = field(default_factory=lambda: RuleIndex(()), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tests", tuple(r.compiled.matches for r in self.rules))
        object.__setattr__(self, "_index", RuleIndex([r.compiled.tree.condition for r in self.rules]))

    def matching(self, facts: dict[str, object]) -> list[ActiveRule]:
        """Return the rules that fire on these facts, in evaluation order."""
        tests, rules = self._tests, self.rules
        return [rules[i] for i in self._index.candidates(facts) if tests[i](facts)]

    def matching_every_rule(self, facts: dict[str, object]) -> list[ActiveRule]:
        """Return the same as ``matching`` by running every rule (the reference the index is held to)."""
        return [r for r in self.rules if r.compiled.matches(facts)]


_CACHE: OrderedDict[tuple[str, int | None], ActiveRuleset] = OrderedDict()
_CACHE_SIZE = 256
_cache_lock = Lock()


def active_ruleset(session: Session, shop_id: int | None) -> ActiveRuleset:
    """Return the shop's enabled rules compiled, with the policy version; compiled once per version."""
    version, token = current_policy(session)
    return ruleset_at(session, shop_id, version, token)


def ruleset_at(
    session: Session | Driver, shop_id: int | None, version: int, token: str | None
) -> ActiveRuleset:
    """Return the shop's rules at a policy version the caller has read (screening reads it with the shop)."""
    if token is None:
        return ActiveRuleset(policy_version=0, rules=())
    key = (token, shop_id)
    with _cache_lock:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    ruleset = _compile_ruleset(session.session if isinstance(session, Driver) else session, shop_id, version)
    with _cache_lock:
        _CACHE[key] = ruleset
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return ruleset


def _compile_ruleset(session: Session, shop_id: int | None, version: int) -> ActiveRuleset:
    stmt = (
        select(Rule)
        .where(_scope(Rule.shop_id, shop_id), Rule.enabled.is_(True), Rule.deleted_at.is_(None))
        .order_by(Rule.priority, Rule.id)
    )
    lists = resolver_for(session, shop_id)
    active: list[ActiveRule] = []
    broken: list[tuple[int, str]] = []
    for rule in session.scalars(stmt):
        try:
            compiled = compile_rule(rule.source, FACTS, lists)
        except RuleError as exc:
            broken.append((rule.id, str(exc)))
            continue
        active.append(ActiveRule(rule.id, rule.version, rule.name, rule.priority, compiled))
    return ActiveRuleset(policy_version=version, rules=tuple(active), broken=tuple(broken))


@dataclass(frozen=True, slots=True)
class ProposedRule:
    """A change to try before making it: a rule's new text or on/off (``rule_id``), or a new rule."""

    rule_id: int | None = None
    source: str | None = None
    enabled: bool | None = None
    priority: int | None = None


def proposed_ruleset(
    session: Session, shop_id: int, changes: list[ProposedRule], fields: list[str]
) -> ActiveRuleset:
    """The shop's rules in force as they would be with ``changes``, compiled by the rules compiler.

    Nothing is stored. A rule the shop cannot see is refused (``rule_not_found``, its ``fields``
    entry as the field); a text that does not compile is refused with the compiler's own code,
    position and caret, its field naming the change (``rules.0.source``). New rules are numbered
    -1, -2, ... in the answer (they have no id yet).
    """
    stmt = select(Rule).where(_scope(Rule.shop_id, shop_id), Rule.deleted_at.is_(None))
    rows = {rule.id: rule for rule in session.scalars(stmt)}
    lists = resolver_for(session, shop_id)
    edited: dict[int, ProposedRule] = {}
    added: list[ActiveRule] = []
    compiled_of: dict[int, CompiledRule] = {}
    for i, change in enumerate(changes):
        if change.rule_id is not None and change.rule_id not in rows:
            raise NotFound(
                E.rule_not_found, f"there is no rule #{change.rule_id}", field=f"{fields[i]}.rule_id"
            )
        # A new rule without a text is an empty text: the compiler says what is missing.
        source = change.source if change.source is not None or change.rule_id is not None else ""
        if source is not None:
            try:
                compiled = compile_rule(source, FACTS, lists)
            except RuleError as exc:
                exc.field = f"{fields[i]}.source"
                raise
            if change.rule_id is None:
                if change.enabled is not False:
                    priority = change.priority if change.priority is not None else 100
                    added.append(
                        ActiveRule(-(len(added) + 1), 1, f"proposed rule {i + 1}", priority, compiled)
                    )
                continue
            compiled_of[change.rule_id] = compiled
        if change.rule_id is not None:
            edited[change.rule_id] = change
    active: list[ActiveRule] = []
    for rule in rows.values():
        change = edited.get(rule.id, ProposedRule())
        enabled = rule.enabled if change.enabled is None else change.enabled
        if not enabled:
            continue
        compiled = compiled_of.get(rule.id)
        if compiled is None:
            try:
                compiled = compile_rule(rule.source, FACTS, lists)
            except RuleError:
                continue  # broken in force too: screening skips it alike
        priority = rule.priority if change.priority is None else change.priority
        version = rule.version + 1 if rule.id in compiled_of else rule.version
        active.append(ActiveRule(rule.id, version, rule.name, priority, compiled))
    ordered = sorted([*active, *added], key=lambda r: (r.priority, r.rule_id < 0, abs(r.rule_id)))
    return ActiveRuleset(policy_version=-1, rules=tuple(ordered))


def clear_cache() -> None:
    """Forget every compiled rule set (tests, or after changing FACTS at run time)."""
    with _cache_lock:
        _CACHE.clear()


def protected_facts(session: Session, shop_id: int | None) -> frozenset[str]:
    """The facts a shop marked protected; for a rule of every shop, those any shop marked."""
    stmt = select(Shop.settings) if shop_id is None else select(Shop.settings).where(Shop.id == shop_id)
    return frozenset(
        name for settings in session.scalars(stmt) for name in (settings or {}).get(PROTECTED_KEY, [])
    )


def rules_using(session: Session, shop_id: int, facts: frozenset[str]) -> list[Rule]:
    """The shop's live rules (its own and those of every shop) that read any of these facts."""
    stmt = select(Rule).where(Rule.deleted_at.is_(None), or_(Rule.shop_id == shop_id, Rule.shop_id.is_(None)))
    return [
        rule
        for rule in session.scalars(stmt.order_by(Rule.id))
        if compile_rule(rule.source, FACTS, resolver_for(session, rule.shop_id)).fields_used & facts
    ]
