"""Rendering a notice from its template in a sandbox, and checking a merchant's template before it is saved.

Templates are the merchant's text: they run in Jinja2's sandbox (no attribute tricks, no imports)
with StrictUndefined, and may name only their kind's variables. The HTML part is drawn from the
rendered text by a fixed layout (paragraphs, links, the language and its writing direction), so
the two parts always say the same thing and a merchant cannot break the markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, meta, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from storeguard.core.errors import Invalid
from storeguard.notifications.defaults import DEFAULTS
from storeguard.notifications.enums import NoticeKind, NotificationError
from storeguard.notifications.kinds import allowed_variables, sample_context

NOTICE_LANGUAGES = ("en", "nb", "he", "zh")
RTL_LANGUAGES = frozenset({"he"})
MAX_TEMPLATE_CHARS = 20_000

_sandbox = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_layout = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
)
_URL = re.compile(r"(https?://[^\s<>\"]+)")


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


def direction_of(language: str) -> str:
    """Return ``rtl`` for a right-to-left language, else ``ltr``."""
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def default_template(kind: NoticeKind, language: str) -> tuple[str, str]:
    """Return the subject and body storeguard ships for a kind and language."""
    return DEFAULTS[kind][notice_language(language)]


def check_template(kind: NoticeKind, language: str, subject: str, body: str) -> None:
    """Refuse a template that names a variable its kind lacks, or that does not render."""
    if not subject.strip():
        raise Invalid(NotificationError.subject_required, "write a subject", field="subject")
    if not body.strip():
        raise Invalid(NotificationError.body_required, "write the text of the notice", field="body")
    allowed = allowed_variables(kind)
    for field, source in (("subject", subject), ("body", body)):
        if len(source) > MAX_TEMPLATE_CHARS:
            raise Invalid(
                NotificationError.template_does_not_render,
                f"the {field} is longer than {MAX_TEMPLATE_CHARS} characters",
                field=field,
            )
        try:
            unknown = sorted(meta.find_undeclared_variables(_sandbox.parse(source)) - allowed)
        except TemplateError as exc:
            raise Invalid(
                NotificationError.template_does_not_render, f"the {field} does not render: {exc}", field=field
            ) from exc
        if unknown:
            raise Invalid(
                NotificationError.unknown_variable,
                f"the {field} uses {', '.join(unknown)}, which a {kind} notice does not have; "
                f"it may use {', '.join(sorted(allowed))}",
                field=field,
            )
    try:
        render(kind, language, subject, body, sample_context(kind, language))
    except Invalid:
        raise
    except Exception as exc:  # the sandbox refuses unsafe code with its own errors: each is a refusal
        raise Invalid(
            NotificationError.template_does_not_render,
            f"the template does not render: {type(exc).__name__}: {exc}",
            field="body",
        ) from exc


def render(kind: NoticeKind, language: str, subject: str, body: str, context: dict[str, Any]) -> Notice:
    """Render a notice's subject, text and HTML from its template and values."""
    lang = notice_language(language)
    direction = direction_of(lang)
    values = {name: context.get(name, "") for name in allowed_variables(kind)}
    try:
        title = " ".join(_sandbox.from_string(subject).render(values).split())
        text = _sandbox.from_string(body).render(values).strip() + "\n"
    except TemplateError as exc:
        raise Invalid(
            NotificationError.template_does_not_render, f"the {kind} notice does not render: {exc}"
        ) from exc
    html = _layout.get_template("notifications/mail.html.j2").render(
        lang=lang, dir=direction, subject=title, paragraphs=_paragraphs(text)
    )
    return Notice(lang, direction, title, text, html)


def _paragraphs(text: str) -> list[list[list[tuple[str, bool]]]]:
    """Split text into paragraphs of lines of (piece, is_link), for the HTML layout."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = []
        for line in block.splitlines():
            pieces = [(piece, bool(_URL.fullmatch(piece))) for piece in _URL.split(line) if piece]
            lines.append(pieces)
        paragraphs.append(lines)
    return paragraphs
