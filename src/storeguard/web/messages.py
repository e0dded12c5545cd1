"""The admin pages' gettext catalogs: extracting their texts and bringing each language's ``.po`` files up to date.

Each package keeps its own catalog per language (``web/locale/<lang>/LC_MESSAGES/<package>.po``),
so a package that adds pages adds its own file and two packages never edit the same one. A text
that moves from one package to another keeps its translation: every catalog is rebuilt from the
texts the code uses now and the translations held in all of a language's files.

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
SHARED = "web"  # texts of modules at the top of the package (app.py, cli.py) go with the shared pages
_FIXED = datetime(2026, 12, 1, tzinfo=UTC)


def _package_of(path: str) -> str:
    parts = Path(path).parts
    return parts[0] if len(parts) > 1 else SHARED


def _catalog(language: Language | None, package: str) -> Catalog:
    locale = _BABEL_LOCALE[language] if language is not None else None
    return Catalog(locale=locale, domain=package, project="storeguard", charset="utf-8", creation_date=_FIXED)


def extract_by_package() -> dict[str, Catalog]:
    """Return the texts each package's code and templates mark for translation."""
    catalogs: dict[str, Catalog] = {}
    for path, line, message, comments, context in extract_from_dir(
        SOURCE, METHODS, OPTIONS, KEYWORDS, strip_comment_tags=True
    ):
        package = _package_of(path)
        catalog = catalogs.setdefault(package, _catalog(None, package))
        catalog.add(message, None, [(f"storeguard/{path}", line)], auto_comments=comments, context=context)
    return catalogs


def extract() -> Catalog:
    """Return every text the pages use, from all packages together."""
    merged = _catalog(None, DOMAIN)
    for catalog in extract_by_package().values():
        for message in catalog:
            if message.id:
                merged[message.id] = message
    return merged


def po_path(language: Language, package: str) -> Path:
    """Return where a language's catalog of one package lives."""
    return LOCALE_DIR / language.value / "LC_MESSAGES" / f"{package}.po"


def read_file(language: Language, path: Path) -> Catalog:
    """Read one catalog file of a language."""
    with path.open("rb") as handle:
        return read_po(handle, locale=_BABEL_LOCALE[language], domain=path.stem)


def read(language: Language) -> Catalog:
    """Read all of a language's catalogs as one (an empty one if there are none yet)."""
    merged = _catalog(language, DOMAIN)
    for path in sorted((LOCALE_DIR / language.value / "LC_MESSAGES").glob("*.po")):
        for message in read_file(language, path):
            if message.id and (message.id not in merged or not merged[message.id].string):
                merged[message.id] = message
    return merged


def update() -> list[tuple[Language, int]]:
    """Rebuild every translated language's catalogs from the texts; return how many entries each lacks."""
    templates = extract_by_package()
    missing = []
    for language in Language:
        if language is Language.en:
            continue  # English is the source text
        known = read(language)
        folder = LOCALE_DIR / language.value / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.po"):
            if stale.stem not in templates:
                stale.unlink()  # a package that no longer has texts, or the old single catalog
        lacking = 0
        for package, template in sorted(templates.items()):
            catalog = _catalog(language, package)
            for message in template:
                if not message.id:
                    continue
                held = known.get(message.id, context=message.context)
                string = held.string if held is not None else ("", "") if message.pluralizable else ""
                flags = {"fuzzy"} if held is not None and held.fuzzy else set()
                catalog.add(
                    message.id,
                    string,
                    message.locations,
                    flags=flags,
                    auto_comments=message.auto_comments,
                    context=message.context,
                )
            catalog.last_translator = catalog.language_team = "storeguard"
            catalog.version = "1"
            catalog.msgid_bugs_address = ""
            catalog.revision_date = _FIXED
            with po_path(language, package).open("wb") as handle:
                # Files without line numbers: moving code does not change the catalogs.
                write_po(
                    handle, catalog, width=110, sort_output=True, include_previous=False, include_lineno=False
                )
            lacking += sum(1 for m in catalog if m.id and not _translated(m))
        missing.append((language, lacking))
    return missing


def _translated(message: object) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)  # type: ignore[attr-defined]
    return all(strings) and not message.fuzzy  # type: ignore[attr-defined]


if __name__ == "__main__":
    for language, count in update():
        print(
            f"{language.value}: {count} text(s) to translate in {LOCALE_DIR / language.value / 'LC_MESSAGES'}"
        )
    sys.exit(0)
