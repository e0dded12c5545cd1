"""The merchant's reason codes: seeded with defaults, each with plain words per notice language."""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.lists.enums import ListErrorCode
from storeguard.lists.models import ReasonCode
from storeguard.lists.notices import NOTICE_LANGUAGES

DEFAULT_REASON_CODES: dict[str, tuple[str, dict[str, str]]] = {
    "fraud": (
        "Fraud",
        {
            "en": "We found signs that payments or orders on your account were not genuine.",
            "nb": "Vi har sett tegn på at betalinger eller bestillinger på kontoen din ikke var ekte.",
            "he": "מצאנו סימנים לכך שתשלומים או הזמנות בחשבונך לא היו אמיתיים.",
            "zh": "我们发现您账户上的付款或订单存在不真实的迹象。",
        },
    ),
    "chargeback_abuse": (
        "Chargeback abuse",
        {
            "en": "Payments for orders that were delivered were disputed with the bank.",
            "nb": "Betalinger for bestillinger som ble levert, ble bestridt hos banken.",
            "he": "תשלומים עבור הזמנות שנמסרו הוכחשו מול הבנק.",
            "zh": "已送达订单的付款被向银行提出了争议。",
        },
    ),
    "return_abuse": (
        "Return abuse",
        {
            "en": "Returns on your account did not follow our return policy.",
            "nb": "Returer på kontoen din fulgte ikke returreglene våre.",
            "he": "החזרות בחשבונך לא תאמו את מדיניות ההחזרות שלנו.",
            "zh": "您账户上的退货不符合我们的退货政策。",
        },
    ),
    "abusive_language": (
        "Abusive language",
        {
            "en": "Messages to our staff contained abusive language.",
            "nb": "Meldinger til våre ansatte inneholdt krenkende språk.",
            "he": "הודעות לצוות שלנו כללו שפה פוגענית.",
            "zh": "发给我们员工的信息中含有辱骂性语言。",
        },
    ),
    "threats": (
        "Threats",
        {
            "en": "Messages to our staff contained threats.",
            "nb": "Meldinger til våre ansatte inneholdt trusler.",
            "he": "הודעות לצוות שלנו כללו איומים.",
            "zh": "发给我们员工的信息中含有威胁。",
        },
    ),
    "policy_exploitation": (
        "Policy exploitation",
        {
            "en": "Orders on your account repeatedly worked around our store's terms.",
            "nb": "Bestillinger på kontoen din gikk gjentatte ganger rundt butikkens vilkår.",
            "he": "הזמנות בחשבונך עקפו שוב ושוב את תנאי החנות.",
            "zh": "您账户上的订单多次规避了本店的条款。",
        },
    ),
    "other": (
        "Other",
        {
            "en": "Your account was used in a way that breaks our store's terms.",
            "nb": "Kontoen din ble brukt på en måte som bryter butikkens vilkår.",
            "he": "החשבון שלך שימש באופן שמפר את תנאי החנות.",
            "zh": "您的账户的使用方式违反了本店的条款。",
        },
    ),
}

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,49}$")


def ensure_default_reason_codes(session: Session, shop_id: int) -> None:
    """Give a shop the default reason codes the first time it needs any."""
    if session.scalar(select(ReasonCode.id).where(ReasonCode.shop_id == shop_id).limit(1)) is not None:
        return
    for code, (label, descriptions) in DEFAULT_REASON_CODES.items():
        session.add(ReasonCode(shop_id=shop_id, code=code, label=label, descriptions=dict(descriptions)))
    session.flush()


def list_reason_codes(session: Session, shop_id: int) -> list[ReasonCode]:
    """Return the shop's reason codes, the defaults first."""
    ensure_default_reason_codes(session, shop_id)
    return list(
        session.scalars(select(ReasonCode).where(ReasonCode.shop_id == shop_id).order_by(ReasonCode.id))
    )


def get_reason_code(
    session: Session, shop_id: int, code: str | None, *, field: str = "reason_code"
) -> ReasonCode:
    """Return an active reason code of the shop, or refuse with 422 naming the codes there are."""
    if not code:
        raise Invalid(ListErrorCode.reason_code_required, "a reason code is required", field=field)
    ensure_default_reason_codes(session, shop_id)
    reason = session.scalar(
        select(ReasonCode).where(ReasonCode.shop_id == shop_id, ReasonCode.code == code, ReasonCode.active)
    )
    if reason is None:
        known = session.scalars(
            select(ReasonCode.code).where(ReasonCode.shop_id == shop_id, ReasonCode.active)
        )
        raise Invalid(
            ListErrorCode.unknown_reason_code,
            f"{code!r} is not one of this shop's reason codes ({', '.join(known)})",
            field=field,
            value=code,
        )
    return reason


def create_reason_code(
    session: Session, *, shop_id: int, code: str, label: str, descriptions: Mapping[str, str], actor: Actor
) -> ReasonCode:
    """Add a reason code to the shop's list; it needs plain words at least in English."""
    code = (code or "").strip()
    if not _CODE.match(code):
        raise Invalid(
            ListErrorCode.invalid_reason_code,
            f"{code!r} must be lower-case letters, digits and _ (2-50)",
            field="code",
            value=code,
        )
    texts = {lang: text.strip() for lang, text in descriptions.items() if text and text.strip()}
    unknown = sorted(set(texts) - set(NOTICE_LANGUAGES))
    if unknown:
        raise Invalid(
            ListErrorCode.invalid_language,
            f"notice languages are {', '.join(NOTICE_LANGUAGES)}; not {unknown}",
            field="descriptions",
        )
    if "en" not in texts:
        raise Invalid(
            ListErrorCode.description_required,
            "a reason code needs plain words in English (descriptions.en)",
            field="descriptions",
        )
    ensure_default_reason_codes(session, shop_id)
    if session.scalar(select(ReasonCode.id).where(ReasonCode.shop_id == shop_id, ReasonCode.code == code)):
        raise Conflict(ListErrorCode.reason_code_exists, f"reason code {code!r} exists already", field="code")
    reason = ReasonCode(shop_id=shop_id, code=code, label=(label or code).strip(), descriptions=texts)
    session.add(reason)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="reason_code.created",
        subject_type="reason_code",
        subject_id=reason.id,
        after={"code": code, "label": reason.label, "descriptions": texts},
    )
    return reason


def retire_reason_code(session: Session, *, shop_id: int, code: str, actor: Actor) -> ReasonCode:
    """Stop offering a reason code for new blocks; blocks made with it keep it and its words."""
    return _set_in_use(session, shop_id, code, in_use=False, actor=actor)


def restore_reason_code(session: Session, *, shop_id: int, code: str, actor: Actor) -> ReasonCode:
    """Offer a retired reason code for new blocks again."""
    return _set_in_use(session, shop_id, code, in_use=True, actor=actor)


def _set_in_use(session: Session, shop_id: int, code: str, *, in_use: bool, actor: Actor) -> ReasonCode:
    def locked() -> ReasonCode | None:
        return session.scalar(
            select(ReasonCode)
            .where(ReasonCode.shop_id == shop_id, ReasonCode.code == code)
            .with_for_update(key_share=True)
        )

    reason = locked()
    if reason is None and code in DEFAULT_REASON_CODES:
        # A default not yet seeded: seed them (only then, so an unknown code writes nothing).
        ensure_default_reason_codes(session, shop_id)
        reason = locked()
    if reason is None:
        raise NotFound(
            ListErrorCode.reason_code_not_found, f"{code!r} is not one of this shop's reason codes"
        )
    if reason.active == in_use:
        return reason
    if not in_use and not session.scalar(
        select(ReasonCode.id)
        .where(ReasonCode.shop_id == shop_id, ReasonCode.active, ReasonCode.id != reason.id)
        .limit(1)
    ):
        # A block needs a reason, so the last code in use stays.
        raise Conflict(
            ListErrorCode.last_reason_code, f"{code!r} is the last reason code in use; add another first"
        )
    reason.active = in_use
    session.flush()
    record_event(
        session,
        actor=actor,
        action="reason_code.restored" if in_use else "reason_code.retired",
        subject_type="reason_code",
        subject_id=reason.id,
        before={"active": not in_use},
        after={"active": in_use},
        data={"code": code},
    )
    return reason


def plain_words(reason: ReasonCode, language: str) -> str:
    """Return the reason in the customer's language, falling back to English, then the label."""
    return reason.descriptions.get(language) or reason.descriptions.get("en") or reason.label
