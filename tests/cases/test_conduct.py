"""Conduct detection: what is found, in which language, by which words; what is not; and how fast."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from storeguard.cases.conduct import detector, merged_lexicons
from storeguard.cases.evaluation import below_target, evaluate, load_labelled

BENCH = Path(__file__).parents[2] / "bench" / "conduct"


def _found(text: str, edits: dict | None = None) -> tuple[str, list[str], list[str]]:
    finding = detector(edits).check(text)
    return finding.language, [str(c) for c in finding.categories], [t.term for t in finding.triggers]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Faen ta dere, jævla idioter!", ("nb", ["abuse"], ["faen", "jævla*", "idioter"])),
        ("You fucking idiots", ("en", ["abuse"], ["fuck*", "idiots"])),
        ("אתם מניאקים", ("he", ["abuse"], ["מניאק*"])),
        ("你们这些傻逼", ("zh", ["abuse"], ["傻逼"])),
    ],
)
def test_abuse_is_found_with_its_language_and_the_words_that_triggered_it(text: str, expected: tuple) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("f*ck this", "fuck*"),
        ("sh1t service", "shit"),
        ("s h i t company", "shit"),
        ("you are a s.h.i.t company", "shit"),
        ("fuuuuuck you", "fuck*"),
        ("שירות של ח-ר-א", "חרא"),
        ("傻*逼客服", "傻逼"),
    ],
)
def test_hidden_abuse_is_found_through_masks_leet_spacing_and_repeats(text: str, term: str) -> None:
    assert term in _found(text)[2]


@pytest.mark.parametrize(
    "text",
    [
        "This is ridiculous, terrible service",
        "I live in Scunthorpe",
        "The assistant in Sussex read Dickens",
        "Dette er helt latterlig, elendig service",
        "Jeg har retten til å angre kjøpet",
        "השירות גרוע",
        "我妈妈想知道你们放假吗",
        "操作系统太复杂",
        "我的订单号是123158",
    ],
)
def test_ordinary_anger_and_innocent_words_are_not_flagged(text: str) -> None:
    assert _found(text)[1] == []


def test_a_legal_threat_names_its_words() -> None:
    assert _found("Jeg kommer til å saksøke dere og gå til Forbrukerrådet") == (
        "nb",
        ["legal_threat"],
        ["saksøke*", "forbrukerråd*"],
    )


def test_a_physical_threat_is_its_own_category() -> None:
    assert _found("I know where you live") == (
        "en",
        ["physical_threat"],
        ["know where you live", "where you live"],
    )


def test_a_merchant_term_is_found_and_a_removed_one_is_not() -> None:
    edits = {"nb": {"abuse": {"add": ["fjols"], "remove": ["dust"]}}}

    assert _found("Du er et fjols", edits)[2] == ["fjols"]
    assert _found("Du er en dust", edits)[1] == []
    assert "fjols" in merged_lexicons(edits)["nb"]["abuse"]


def test_checking_one_message_takes_under_a_millisecond_at_the_median() -> None:
    check = detector().check
    texts = [m["text"] for m in load_labelled(BENCH / "dev.jsonl")]
    check(texts[0])
    timings = []
    for text in texts * 3:
        start = time.perf_counter()
        check(text)
        timings.append(time.perf_counter() - start)

    assert statistics.median(timings) < 0.001


@pytest.mark.parametrize("part", ["dev", "heldout"])
def test_abuse_and_legal_threats_meet_the_targets_in_every_language(part: str) -> None:
    report = evaluate(detector(), load_labelled(BENCH / f"{part}.jsonl"))

    assert below_target(report) == []
    assert report["messages"] >= 80


def test_a_masked_word_is_read_as_abuse_only_never_as_a_short_acronym() -> None:
    assert _found("What the f*** is wrong with you people") == ("en", ["abuse"], ["fuck*"])
