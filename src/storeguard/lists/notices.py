"""Notices to a blocked customer: the reason in plain words and how to appeal, in their language."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

NOTICE_LANGUAGES = ("en", "nb", "he", "zh")
RTL_LANGUAGES = frozenset({"he"})
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
)


@dataclass(frozen=True, slots=True)
class Notice:
    """A rendered notice: subject, plain text and HTML, with its language and writing direction."""

    language: str
    direction: str
    subject: str
    text: str
    html: str


def notice_language(locale: str | None) -> str:
    """Pick the notice language for a customer's locale (``nb-NO`` -> ``nb``); English when unknown."""
    base = (locale or "en").replace("_", "-").split("-", 1)[0].lower()
    base = {"no": "nb", "nn": "nb", "iw": "he"}.get(base, base)
    return base if base in NOTICE_LANGUAGES else "en"


def render_notice(
    *, language: str, shop_name: str, customer_name: str, reason: str, appeal_url: str, action: str
) -> Notice:
    """Render the notice in one of the four languages (Hebrew right-to-left)."""
    lang = notice_language(language)
    direction = "rtl" if lang in RTL_LANGUAGES else "ltr"
    values = {
        "shop_name": shop_name,
        "customer_name": customer_name,
        "reason": reason,
        "appeal_url": appeal_url,
        "action": action,
        "lang": lang,
        "dir": direction,
    }
    subject = _env.get_template(f"notices/{lang}.subject.j2").render(values).strip()
    text = _env.get_template(f"notices/{lang}.txt.j2").render(values).strip() + "\n"
    html = _env.get_template(f"notices/{lang}.html.j2").render({**values, "subject": subject})
    return Notice(lang, direction, subject, text, html)
