"""Conduct detection: abusive language, legal threats and physical threats in one message.

Pure and fast (no session, no I/O after the lexicons are loaded): the language is told by the
script (Hebrew, Chinese) or by lingua among the Latin ones, the text is normalized the way people
hide words (``f*ck``, ``sh1t``, ``f u c k``, ``fuuuck``), and one Aho-Corasick automaton per
language finds the lexicon's words and phrases with word boundaries, so an innocent word that
contains a bad one (Scunthorpe) is not flagged. Every detection names the terms that triggered it.

A lexicon term is matched as a whole word or phrase; ``term*`` may go on (fuck → fucking),
``*term`` may have letters before it. Chinese has no spaces, so its terms match anywhere.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import ahocorasick
from lingua import Language, LanguageDetectorBuilder

from storeguard.cases.enums import ConductCategory

LANGUAGES = ("en", "nb", "he", "zh")
LEXICON_DIR = Path(__file__).parent / "lexicon"
# Hebrew writes "and", "the", "that", "in", "to", "as", "from" as letters before the word.
HEBREW_PREFIXES = ("ו", "ה", "ש", "ב", "ל", "כ", "מ")
# Leet: a digit or sign that stands for a letter when it is inside a word.
LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "i"}
)
MASKS = "*#%_"
_NO_MASKS = str.maketrans("", "", MASKS)
_TOKEN = re.compile(r"[\w*#%@$!|]+")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad\u0591-\u05c7]")  # zero-width, hyphen, niqqud
_LATIN = "a-zà-öø-ÿ"
# Only beside a Latin letter: 12315 beside a Chinese character is a phone number, not leet.
_LEET_INSIDE = re.compile(f"(?<=[{_LATIN}])[0134579@$!|]|[0134579@$!|](?=[{_LATIN}])")
# Hebrew's final letters are the same letters: מטומטם and מטומטמת share a stem.
FINALS = str.maketrans({"ם": "מ", "ן": "נ", "ץ": "צ", "ף": "פ", "ך": "כ"})
# Three or more single letters, each followed by the same separator (a space, a dot, a dash).
_SPACED = re.compile(r"(?<![^\W_])([^\W\d_])([ .\-+·•~])(?:[^\W\d_]\2)+[^\W\d_](?![^\W_])")
_REPEATS = re.compile(r"([^\W\d_])\1+")
_HEBREW = re.compile("[\u05d0-\u05ea]")
_HAN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf]")

_LINGUA = {Language.ENGLISH: "en", Language.BOKMAL: "nb", Language.NYNORSK: "nb", Language.DANISH: "nb"}


@dataclass(frozen=True)
class Trigger:
    """One lexicon term found in the message: its category, language, and the words as normalized."""

    category: ConductCategory
    term: str
    language: str
    matched: str


@dataclass(frozen=True)
class Finding:
    """What one message holds: its language, the categories found, and what triggered each."""

    language: str
    triggers: tuple[Trigger, ...] = ()
    categories: tuple[ConductCategory, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """The finding as plain data (stored with an incident, answered by the check route)."""
        return {
            "language": self.language,
            "categories": [str(c) for c in self.categories],
            "triggers": [
                {"category": str(t.category), "term": t.term, "language": t.language, "matched": t.matched}
                for t in self.triggers
            ],
        }


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and not _HEBREW.match(ch) and not _HAN.match(ch)


def _collapse(token: str) -> str:
    """Fold runs of one letter (fuuuck → fuck); Chinese keeps them (妈妈 is not 妈)."""
    if _HAN.search(token):
        return token
    return _REPEATS.sub(r"\1", token)


def _tokens(text: str) -> list[str]:
    """Lower-cased tokens with leet letters read back and letter runs folded; masks kept."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold().translate(FINALS)
    text = _join_spaced(text)
    out = []
    for raw in _TOKEN.findall(text):
        raw = raw.strip("!|")  # "idiot!" is an exclamation, "sh!t" a hidden letter
        token = _LEET_INSIDE.sub(lambda m: m.group(0).translate(LEET), raw).strip("$@")
        if token:
            out.append(_collapse(token))
    return out


def _join_spaced(text: str) -> str:
    """Join letters written apart with one same sign (f u c k, s.h.i.t, ח-ר-א) into the word they spell."""
    return _SPACED.sub(lambda m: m.group(0).replace(m.group(2), ""), text)


def _key(term: str, language: str) -> list[tuple[str, str]]:
    """The automaton keys of one lexicon term (with the term as written): boundaries as spaces."""
    prefix_ok, suffix_ok = term.startswith("*"), term.endswith("*")
    words = " ".join(_tokens(term.strip("*")))
    if len(words) < 2:  # folded to one letter ("bbb" → "b"), it would match everywhere
        return []
    if language == "zh":
        return [("".join(words.split()), term)]
    keys = [(("" if prefix_ok else " ") + words + ("" if suffix_ok else " "), term)]
    if language == "he" and not prefix_ok:
        singles = list(HEBREW_PREFIXES)
        doubles = [a + b for a in HEBREW_PREFIXES for b in ("ה", "ש", "ב", "ל", "כ", "מ") if a in "וש"]
        keys += [(" " + p + words + ("" if suffix_ok else " "), term) for p in [*singles, *doubles]]
    return keys


@dataclass
class _Matcher:
    language: str
    automaton: Any
    single_words: list[tuple[ConductCategory, str, str, bool]]  # category, term, folded word, may go on


def _matcher(language: str, lexicon: Mapping[str, Iterable[str]]) -> _Matcher:
    automaton = ahocorasick.Automaton()
    singles = []
    for category, terms in lexicon.items():
        cat = ConductCategory(category)
        for term in terms:
            for key, written in _key(term, language):
                found = automaton.get(key, [])
                automaton.add_word(key, [*found, (cat, written)])
            words = _tokens(term.strip("*"))
            if len(words) == 1 and language != "zh":
                singles.append((cat, term, words[0], term.endswith("*")))
    if len(automaton):
        automaton.make_automaton()
    return _Matcher(language, automaton, singles)


def _masked_matches(tokens: list[str], matcher: _Matcher) -> list[Trigger]:
    """Words with masked letters (f*ck, b**ch, a**hole): each mask run stands for one to a few letters.

    Only abuse is hidden this way, and only words of four letters or more are guessed at (f*** is not
    the FTC); of the words that fit, the one closest in length is named.
    """
    found = []
    for token in tokens:
        if not any(m in token for m in MASKS) or not token[0].isalpha():
            continue
        parts = re.split(f"([{re.escape(MASKS)}]+)", token)
        pattern = "".join(
            f"[^\\W\\d_]{{1,{len(p) + 2}}}" if p and p[0] in MASKS else re.escape(p) for p in parts
        )
        tail = parts[-1] if parts[-1] and parts[-1][0] not in MASKS else ""
        regex = re.compile(pattern)
        fits = []
        for category, term, word, goes_on in matcher.single_words:
            if category != ConductCategory.abuse or len(word) < 4:
                continue
            endings = [tail[i:] for i in range(len(tail) + 1)] if goes_on else [""]
            if any(regex.fullmatch(word + end) for end in endings):
                fits.append((abs(len(word) - len(token)), category, term))
        if fits:
            _, category, term = min(fits, key=lambda fit: fit[0])
            found.append(Trigger(category, term, matcher.language, token))
    return found


class Detector:
    """Checks messages against one lexicon per language; built once, used for many messages."""

    def __init__(self, lexicons: Mapping[str, Mapping[str, Iterable[str]]]) -> None:
        self.matchers = {lang: _matcher(lang, lexicons.get(lang, {})) for lang in LANGUAGES}
        # Chinese speakers also write pinyin initials in Latin letters (nmsl, tmd): whole words only.
        pinyin = {
            category: [t for t in terms if t.isascii() and t.isalpha() and len(t) >= 3]
            for category, terms in lexicons.get("zh", {}).items()
        }
        self.matchers["pinyin"] = replace(_matcher("pinyin", pinyin), language="zh")
        self.lingua = (
            LanguageDetectorBuilder.from_languages(*_LINGUA).with_preloaded_language_models().build()
        )

    def language_of(self, text: str) -> str:
        """Tell the message's language: by its script for Hebrew and Chinese, else by lingua."""
        hebrew, han = len(_HEBREW.findall(text)), len(_HAN.findall(text))
        if hebrew or han:
            return "he" if hebrew >= han else "zh"
        found = self.lingua.detect_language_of(text)
        return _LINGUA.get(found, "en") if found is not None else "en"

    def check(self, text: str, language: str | None = None) -> Finding:
        """Find abuse, legal threats and physical threats in one message."""
        language = language if language in LANGUAGES else self.language_of(text)
        tokens = _tokens(text)
        # Norwegians swear in English too: English words are looked for in every Latin message.
        languages = [language, "pinyin"] if language == "en" else [language, "en", "pinyin"]
        if language in ("he", "zh"):
            latin = any(_is_latin_letter(ch) for ch in text)
            languages = [language, "en"] if latin else [language]
        triggers: list[Trigger] = []
        for lang in languages:
            matcher = self.matchers[lang]
            if not len(matcher.automaton):
                continue
            # Chinese has no spaces: signs or spaces between its characters hide a word (傻*逼, 傻 逼).
            haystack = "".join(tokens).translate(_NO_MASKS) if lang == "zh" else " " + " ".join(tokens) + " "
            for _end, values in matcher.automaton.iter(haystack):
                for category, term in values:
                    triggers.append(Trigger(category, term, lang, " ".join(_tokens(term.strip("*")))))
            triggers += _masked_matches(tokens, matcher)
        unique = tuple(dict.fromkeys(triggers))
        categories = tuple(c for c in ConductCategory if any(t.category == c for t in unique))
        return Finding(language=language, triggers=unique, categories=categories)


def default_lexicons() -> dict[str, dict[str, list[str]]]:
    """The lexicons storeguard ships, per language and category."""
    return {lang: json.loads((LEXICON_DIR / f"{lang}.json").read_text("utf-8")) for lang in LANGUAGES}


def merged_lexicons(edits: Mapping[str, Any] | None) -> dict[str, dict[str, list[str]]]:
    """The shipped lexicons with a merchant's edits: per language and category, terms added and removed."""
    lexicons = default_lexicons()
    for lang, categories in (edits or {}).items():
        for category, change in (categories or {}).items():
            terms = lexicons.setdefault(lang, {}).setdefault(category, [])
            removed = set(change.get("remove") or [])
            kept = [t for t in terms if t not in removed]
            lexicons[lang][category] = list(dict.fromkeys([*kept, *(change.get("add") or [])]))
    return lexicons


@lru_cache(maxsize=16)
def _detector_for(frozen: str) -> Detector:
    return Detector(merged_lexicons(json.loads(frozen)))


def detector(edits: Mapping[str, Any] | None = None) -> Detector:
    """The detector for a shop's lexicon edits (built once per distinct set of edits)."""
    return _detector_for(json.dumps(edits or {}, sort_keys=True, ensure_ascii=False))
