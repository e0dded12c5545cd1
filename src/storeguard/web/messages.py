"""The admin pages' gettext catalogs: extracting their texts and bringing each language's ``.po`` up to date.

``make messages`` runs this after texts change; translators then fill in the new entries (a test
fails while any is missing). The same extraction is what the test compares the catalogs with.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from storeguard.core.enums import Language
from storeguard.web.i18n import _BABEL_LOCALE, DOMAIN, LOCALE_DIR

SOURCE = Path(__file__).resolve().parents[1]  # src/storeguard
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
_FIXED = datetime(2026, 12, 1, tzinfo=UTC)


def extract() -> Catalog:
    """Return every text the pages' code and templates mark for translation."""
    catalog = Catalog(project="storeguard", domain=DOMAIN, charset="utf-8", creation_date=_FIXED)
    for path, line, message, comments, context in extract_from_dir(
        SOURCE, METHODS, OPTIONS, KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(f"storeguard/{path}", line)], auto_comments=comments, context=context)
    return catalog


def po_path(language: Language) -> Path:
    """Return where a language's catalog lives."""
    return LOCALE_DIR / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: Language) -> Catalog:
    """Read a language's catalog (an empty one if it does not exist yet)."""
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=_BABEL_LOCALE[language], domain=DOMAIN, project="storeguard", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=_BABEL_LOCALE[language], domain=DOMAIN)


def update() -> list[tuple[Language, int]]:
    """Bring every translated language's catalog in line with the texts; return how many entries each lacks."""
    template = extract()
    missing = []
    for language in Language:
        if language is Language.en:
            continue  # English is the source text
        catalog = read(language)
        catalog.update(template, update_header_comment=False, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        catalog.revision_date = catalog.creation_date = _FIXED  # no churn in the header on every run
        catalog.last_translator = catalog.language_team = "storeguard"
        catalog.version = "1"
        catalog.msgid_bugs_address = ""
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            # Files without line numbers: moving code does not change the catalogs.
            write_po(
                handle, catalog, width=110, sort_output=False, include_previous=False, include_lineno=False
            )
        missing.append((language, sum(1 for m in catalog if m.id and not _translated(m))))
    return missing


def _translated(message: object) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)  # type: ignore[attr-defined]
    return all(strings) and not message.fuzzy  # type: ignore[attr-defined]


if __name__ == "__main__":
    for language, count in update():
        print(f"{language.value}: {count} text(s) to translate in {po_path(language)}")
    sys.exit(0)
