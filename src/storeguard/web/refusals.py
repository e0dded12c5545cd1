"""Refusals in the page's language: each domain lists its error codes with a sentence to show.

An action refuses with a code and an English message for the API; a page shows the sentence
registered for the code, translated, or the action's own message when none is registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from storeguard.core.errors import DomainError
from storeguard.web.i18n import Speaker

_SENTENCES: dict[str, str] = {}


def register_refusals(sentences: Mapping[StrEnum, str]) -> None:
    """Give error codes the sentence a page shows for them (English, marked for the catalogs).

    A code means one refusal everywhere: two packages giving it different sentences is a mistake
    (one page would show the other's words), refused when the second registers.
    """
    for code, sentence in sentences.items():
        known = _SENTENCES.get(str(code))
        if known is not None and known != sentence:
            raise ValueError(f"refusal code {code!r} already has the sentence {known!r}")
        _SENTENCES[str(code)] = sentence


def describe(error: DomainError, speaker: Speaker) -> str:
    """Return the sentence a page shows for a refusal, in the page's language."""
    return sentence_for(error.code, speaker, default=error.message)


def sentence_for(code: StrEnum | str, speaker: Speaker, *, default: str = "") -> str:
    """Return the registered sentence of a refusal code, translated, or ``default``."""
    sentence = _SENTENCES.get(str(code))
    return speaker.gettext(sentence) if sentence is not None else default
