"""Every text of the admin pages is translated into Norwegian Bokmål, Hebrew and Chinese."""

from __future__ import annotations

import re

import pytest

from storeguard.core.enums import Language
from storeguard.web.i18n import Speaker
from storeguard.web.messages import extract, extract_by_package, po_path, read, read_file

TRANSLATED = [Language.nb, Language.he, Language.zh]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _ids(catalog) -> set:  # noqa: ANN001
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


@pytest.fixture(scope="module")
def texts() -> set:
    return _ids(extract())


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalog_holds_exactly_the_texts_the_pages_use(language, texts):
    held = _ids(read(language))

    assert sorted(map(str, texts - held)) == [], "run `make messages` and translate the new texts"
    assert sorted(map(str, held - texts)) == [], "run `make messages` to drop texts no page uses"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_is_translated_and_checked(language):
    untranslated = [
        m.id
        for m in read(language)
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else (m.string,)))
    ]

    assert untranslated == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_translation_keeps_every_placeholder_of_its_text(language):
    wrong = []
    for m in read(language):
        if not m.id:
            continue
        sources = m.id if isinstance(m.id, tuple) else (m.id,)
        targets = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(PLACEHOLDER.findall(sources[0])) - {"num"}
        wrong += [m.id for target in targets if set(PLACEHOLDER.findall(target)) - {"num"} != wanted]
    assert wrong == []


@pytest.mark.parametrize(
    ("language", "text"),
    [(Language.en, "Log out"), (Language.nb, "Logg ut"), (Language.he, "התנתקות"), (Language.zh, "退出登录")],
)
def test_the_pages_speak_each_language(language, text):
    assert Speaker(language).gettext("Log out") == text


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_package_keeps_its_texts_in_its_own_catalog_file(language):
    misplaced = {}
    for package, template in extract_by_package().items():
        path = po_path(language, package)
        held = _ids(read_file(language, path)) if path.exists() else set()
        if _ids(template) != held:
            misplaced[package] = sorted(map(str, _ids(template) ^ held))[:3]

    assert misplaced == {}
