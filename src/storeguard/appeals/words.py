"""What the customer reads about their appeal, in their language (mail and the public page share it)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.appeals.enums import AppealStatus
from storeguard.lists.models import CustomerBlock, ReasonCode
from storeguard.lists.reasons import plain_words

DECISION_WORDS: dict[AppealStatus, dict[str, str]] = {
    AppealStatus.upheld: {
        "en": "We have decided to keep the block in place.",
        "nb": "Vi har bestemt at sperringen blir stående.",
        "he": "החלטנו להשאיר את החסימה בתוקף.",
        "zh": "我们决定维持此限制。",
    },
    AppealStatus.lifted: {
        "en": "The block is lifted: you can order from us again.",
        "nb": "Sperringen er opphevet: du kan bestille hos oss igjen.",
        "he": "החסימה הוסרה: אפשר להזמין אצלנו שוב.",
        "zh": "限制已解除：您可以再次在我们这里下单。",
    },
    AppealStatus.lifted_with_conditions: {
        "en": "The block is lifted, with a condition: we will check your next orders before we send them.",
        "nb": "Sperringen er opphevet, med et vilkår: vi kontrollerer de neste bestillingene dine før vi sender dem.",
        "he": "החסימה הוסרה, בתנאי אחד: נבדוק את ההזמנות הבאות שלך לפני שנשלח אותן.",
        "zh": "限制已解除，但有一个条件：我们会在发货前核实您接下来的订单。",
    },
}


def decision_words(status: AppealStatus, language: str) -> str:
    """Return a decided appeal's outcome in the customer's language (English when unknown)."""
    words = DECISION_WORDS.get(status, {})
    return words.get(language) or words.get("en", "")


def block_reason_words(session: Session, block: CustomerBlock, language: str) -> str:
    """Return why the customer was blocked, in plain words in their language (retired codes too)."""
    reason = session.scalar(
        select(ReasonCode).where(ReasonCode.shop_id == block.shop_id, ReasonCode.code == block.reason_code)
    )
    return plain_words(reason, language) if reason is not None else block.reason_code.replace("_", " ")
