"""JSON routes for rules (/v1/rules) and named lists (/v1/named-lists)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from storeguard.core.api import CanWriteRules, Page, PagingDep, SessionDep, Viewer
from storeguard.core.schemas import Id
from storeguard.rules import actions, service
from storeguard.rules.facts import fact_catalogue
from storeguard.rules.named_lists import BUILTIN_LISTS, builtin_values
from storeguard.rules.nodes import unparse
from storeguard.rules.schemas import (
    BuiltinListRead,
    FactRead,
    NamedListCreate,
    NamedListRead,
    NamedListUpdate,
    ProtectedFactsIn,
    ProtectedFactsRead,
    RuleCreate,
    RuleRead,
    RuleUpdate,
    RuleVersionRead,
    ValidateRuleIn,
    ValidateRuleOut,
)
from storeguard.shops.api import ShopFilter
from storeguard.shops.service import shop_or_only_shop

router = APIRouter(tags=["rules"])


@router.get("/v1/rules/facts", response_model=list[FactRead], name="rules.facts")
def facts(_: Viewer) -> list[dict[str, object]]:
    """List the facts a rule may use, with their types and meaning."""
    return fact_catalogue()


@router.get("/v1/rules/protected-facts", response_model=ProtectedFactsRead, name="rules.protected_facts")
def get_protected_facts(session: SessionDep, _: Viewer, shop_id: ShopFilter) -> ProtectedFactsRead:
    """The facts the shop marked protected: no rule of the shop may use them."""
    shop = shop_or_only_shop(session, shop_id)
    return ProtectedFactsRead(shop_id=shop.id, facts=sorted(service.protected_facts(session, shop.id)))


@router.put("/v1/rules/protected-facts", response_model=ProtectedFactsRead, name="rules.set_protected_facts")
def put_protected_facts(
    body: ProtectedFactsIn, session: SessionDep, actor: CanWriteRules
) -> ProtectedFactsRead:
    """Mark the facts no rule may use (the whole list); refused while a live rule reads one of them."""
    shop = shop_or_only_shop(session, body.shop_id)
    facts = actions.set_protected_facts(
        session, shop_id=shop.id, facts=body.facts, actor=actor, reason=body.reason
    )
    session.commit()
    return ProtectedFactsRead(shop_id=shop.id, facts=facts)


@router.post("/v1/rules/validate", response_model=ValidateRuleOut, name="rules.validate")
def validate(body: ValidateRuleIn, session: SessionDep, _: Viewer) -> ValidateRuleOut:
    """Check a rule without saving it; a problem is a 422 with its position and a caret."""
    compiled = actions.validate_source(session, body.source, body.shop_id)
    return ValidateRuleOut(
        ok=True,
        action=compiled.action,
        fields_used=sorted(compiled.fields_used),
        lists_used=sorted(compiled.lists_used),
        canonical=unparse(compiled.tree),
    )


@router.get("/v1/rules", response_model=Page[RuleRead], name="rules.list")
def list_rules(
    session: SessionDep,
    _: Viewer,
    paging: PagingDep,
    shop_id: ShopFilter,
    enabled: bool | None = None,
    include_deleted: bool = False,
) -> Page[RuleRead]:
    """List rules in evaluation order."""
    rows, total = service.list_rules(
        session,
        shop_id=shop_id,
        enabled=enabled,
        include_deleted=include_deleted,
        limit=paging.limit,
        offset=paging.offset,
    )
    items = [RuleRead.model_validate(r) for r in rows]
    return Page[RuleRead](items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post("/v1/rules", response_model=RuleRead, status_code=201, name="rules.create")
def create_rule(body: RuleCreate, session: SessionDep, actor: CanWriteRules) -> RuleRead:
    """Create a rule after checking it; a bad rule is refused and nothing is stored."""
    rule = actions.create_rule(
        session,
        name=body.name,
        source=body.source,
        shop_id=body.shop_id,
        priority=body.priority,
        enabled=body.enabled,
        actor=actor,
    )
    session.commit()
    return RuleRead.model_validate(rule)


@router.get("/v1/rules/{rule_id}", response_model=RuleRead, name="rules.detail")
def get_rule(rule_id: Id, session: SessionDep, _: Viewer) -> RuleRead:
    """Show one rule."""
    return RuleRead.model_validate(service.get_rule(session, rule_id))


@router.patch("/v1/rules/{rule_id}", response_model=RuleRead, name="rules.update")
def update_rule(rule_id: Id, body: RuleUpdate, session: SessionDep, actor: CanWriteRules) -> RuleRead:
    """Change a rule's name, text, priority or on/off state; new text becomes a new version."""
    rule = actions.update_rule(
        session,
        rule_id=rule_id,
        actor=actor,
        name=body.name,
        source=body.source,
        priority=body.priority,
        enabled=body.enabled,
        reason=body.reason,
    )
    session.commit()
    return RuleRead.model_validate(rule)


@router.delete("/v1/rules/{rule_id}", response_model=RuleRead, name="rules.delete")
def delete_rule(
    rule_id: Id,
    session: SessionDep,
    actor: CanWriteRules,
    reason: str | None = Query(default=None, max_length=1000),
) -> RuleRead:
    """Retire a rule; its versions and history stay readable."""
    rule = actions.delete_rule(session, rule_id=rule_id, actor=actor, reason=reason)
    session.commit()
    return RuleRead.model_validate(rule)


@router.get("/v1/rules/{rule_id}/versions", response_model=list[RuleVersionRead], name="rules.versions")
def versions(rule_id: Id, session: SessionDep, _: Viewer) -> list[RuleVersionRead]:
    """List every saved text of a rule, newest first."""
    return [RuleVersionRead.model_validate(v) for v in service.list_versions(session, rule_id)]


@router.get("/v1/named-lists/builtin", response_model=list[BuiltinListRead], name="named_lists.builtin")
def builtin_lists(_: Viewer) -> list[BuiltinListRead]:
    """List the built-in named lists (their values come with storeguard)."""
    return [
        BuiltinListRead(name=b.name, description=b.description, value_count=len(builtin_values(b.name)))
        for b in BUILTIN_LISTS.values()
    ]


@router.get("/v1/named-lists", response_model=Page[NamedListRead], name="named_lists.list")
def list_named_lists(
    session: SessionDep, _: Viewer, paging: PagingDep, shop_id: ShopFilter
) -> Page[NamedListRead]:
    """List the merchant's named lists."""
    rows, total = service.list_named_lists(session, shop_id=shop_id, limit=paging.limit, offset=paging.offset)
    items = [NamedListRead.model_validate(n) for n in rows]
    return Page[NamedListRead](items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post("/v1/named-lists", response_model=NamedListRead, status_code=201, name="named_lists.create")
def create_named_list(body: NamedListCreate, session: SessionDep, actor: CanWriteRules) -> NamedListRead:
    """Create a named list for rules to use as @name."""
    named = actions.create_named_list(
        session,
        name=body.name,
        values=body.values,
        description=body.description,
        shop_id=body.shop_id,
        actor=actor,
    )
    session.commit()
    return NamedListRead.model_validate(named)


@router.get("/v1/named-lists/{list_id}", response_model=NamedListRead, name="named_lists.detail")
def get_named_list(list_id: Id, session: SessionDep, _: Viewer) -> NamedListRead:
    """Show one named list with its values."""
    return NamedListRead.model_validate(service.get_named_list(session, list_id))


@router.patch("/v1/named-lists/{list_id}", response_model=NamedListRead, name="named_lists.update")
def update_named_list(
    list_id: Id, body: NamedListUpdate, session: SessionDep, actor: CanWriteRules
) -> NamedListRead:
    """Replace a named list's values or description."""
    named = actions.update_named_list(
        session,
        list_id=list_id,
        values=body.values,
        description=body.description,
        reason=body.reason,
        actor=actor,
    )
    session.commit()
    return NamedListRead.model_validate(named)
