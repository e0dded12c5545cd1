"""A shop's own case settings: service targets, the conduct policy, and its edits to the lexicons.

Kept in the shop's settings (data, with the defaults in ``policy`` and ``lexicon/``), each change
audited with what it was before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from storeguard.cases import policy
from storeguard.cases.conduct import LANGUAGES
from storeguard.cases.enums import CaseError, ConductCategory
from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.errors import Invalid
from storeguard.shops.service import get_shop


def _save(session: Session, shop_id: int, key: str, value: Any, actor: Actor, action: str) -> dict[str, Any]:
    shop = get_shop(session, shop_id, field="shop_id")
    before = (shop.settings or {}).get(key)
    shop.settings = {**(shop.settings or {}), key: value}  # a new dict: the JSON column sees the change
    session.flush()
    record_event(
        session,
        actor=actor,
        action=action,
        subject_type="shop",
        subject_id=shop.id,
        before={key: before},
        after={key: value},
    )
    return value


def set_service_targets(
    session: Session, *, shop_id: int, actor: Actor, first_answer_minutes: int, resolution_hours: int
) -> dict[str, int]:
    """Set how soon a case must get its first answer and be resolved."""
    if not 1 <= first_answer_minutes <= 60 * 24 * 14:
        raise Invalid(
            CaseError.invalid_status,
            "the first answer target is 1 minute to 14 days",
            field="first_answer_minutes",
        )
    if not 1 <= resolution_hours <= 24 * 90:
        raise Invalid(
            CaseError.invalid_status, "the resolution target is 1 hour to 90 days", field="resolution_hours"
        )
    value = {"first_answer_minutes": first_answer_minutes, "resolution_hours": resolution_hours}
    return _save(session, shop_id, "case_targets", value, actor, "cases.targets_changed")


def set_conduct_policy(
    session: Session, *, shop_id: int, actor: Actor, on_repeat: str, repeat_window_days: int, legal_hold: bool
) -> dict[str, Any]:
    """Set what a repeat of abuse leads to (a proposal or a block), the window, and legal holds."""
    if on_repeat not in policy.ON_REPEAT:
        raise Invalid(
            CaseError.invalid_status, f"on a repeat: {' or '.join(policy.ON_REPEAT)}", field="on_repeat"
        )
    if not 1 <= repeat_window_days <= 3650:
        raise Invalid(CaseError.invalid_status, "the window is 1 to 3650 days", field="repeat_window_days")
    shop = get_shop(session, shop_id, field="shop_id")
    value = {
        **policy.conduct_policy(shop.settings),
        "on_repeat": on_repeat,
        "repeat_window_days": repeat_window_days,
        "legal_hold": legal_hold,
    }
    return _save(session, shop_id, "conduct_policy", value, actor, "cases.conduct_policy_changed")


def edit_lexicon(
    session: Session,
    *,
    shop_id: int,
    actor: Actor,
    language: str,
    category: str,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
) -> dict[str, Any]:
    """Add words or phrases to a language's lexicon, or take shipped ones out, for this shop."""
    if language not in LANGUAGES:
        raise Invalid(
            CaseError.invalid_language, f"{language!r} is not {', '.join(LANGUAGES)}", field="language"
        )
    if category not in set(ConductCategory):
        raise Invalid(
            CaseError.invalid_lexicon, f"{category!r} is not {', '.join(ConductCategory)}", field="category"
        )
    added = [t.strip().lower() for t in add if t.strip()]
    removed = [t.strip().lower() for t in remove if t.strip()]
    if not added and not removed:
        raise Invalid(CaseError.invalid_lexicon, "name a word or phrase to add or remove", field="add")
    if any(len(t.strip("*")) < 2 or len(t) > 100 for t in added):
        raise Invalid(CaseError.invalid_lexicon, "a term is 2 to 100 characters", field="add")
    shop = get_shop(session, shop_id, field="shop_id")
    edits = {
        lang: {cat: dict(change) for cat, change in cats.items()}
        for lang, cats in (shop.settings or {}).get("conduct_lexicon", {}).items()
    }
    change = edits.setdefault(language, {}).setdefault(category, {"add": [], "remove": []})
    change["add"] = [t for t in dict.fromkeys([*change.get("add", []), *added]) if t not in removed]
    change["remove"] = [t for t in dict.fromkeys([*change.get("remove", []), *removed]) if t not in added]
    return _save(session, shop_id, "conduct_lexicon", edits, actor, "cases.lexicon_changed")
