"""Notices to a blocked customer: the reason in plain words and how to appeal, in their language.

The words are notifications' ``block_notice`` template (the merchant's, else the shipped one).
"""

from __future__ import annotations

from storeguard.notifications.enums import NoticeKind
from storeguard.notifications.render import (
    NOTICE_LANGUAGES,
    RTL_LANGUAGES,
    Notice,
    default_template,
    notice_language,
)
from storeguard.notifications.render import render as render_template

__all__ = ["NOTICE_LANGUAGES", "RTL_LANGUAGES", "Notice", "notice_language", "render_notice"]


def render_notice(
    *,
    language: str,
    shop_name: str,
    customer_name: str | None,
    reason: str,
    appeal_url: str,
    action: str,
    template: tuple[str, str] | None = None,
) -> Notice:
    """Render the block notice in one of the four languages (Hebrew right-to-left)."""
    lang = notice_language(language)
    subject, body = template or default_template(NoticeKind.block_notice, lang)
    values = {
        "shop_name": shop_name,
        "customer_name": customer_name or "",
        "reason": reason,
        "appeal_url": appeal_url,
        "action": action,
    }
    return render_template(NoticeKind.block_notice, lang, subject, body, values)
