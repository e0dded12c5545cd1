"""Email normalization against validator.js's 98 published normalizeEmail cases, and the disposable list.

storeguard's rules are validator.js's default option set (lower-case, gmail dots and +tags,
googlemail.com -> gmail.com, iCloud/Outlook +tags, Yahoo -keywords, Yandex domains). Cases from
option sets that switch a rule off are checked too: each disagreement is listed below with the
rule that causes it, so any other change fails the test.
"""

from __future__ import annotations

import json

import disposable_email_domains

from storeguard.core.errors import Invalid
from storeguard.customers.disposable import check_disposable, is_disposable, list_version
from storeguard.customers.normalize import normalize_email
from tests.conftest import shared_fixture

OUR_OPTIONS = {
    "all_lowercase": True,
    "gmail_lowercase": True,
    "gmail_remove_dots": True,
    "gmail_remove_subaddress": True,
    "gmail_convert_googlemaildotcom": True,
    "outlookdotcom_lowercase": True,
    "outlookdotcom_remove_subaddress": True,
    "yahoo_lowercase": True,
    "yahoo_remove_subaddress": True,
    "yandex_lowercase": True,
    "yandex_convert_yandexru": True,
    "icloud_lowercase": True,
    "icloud_remove_subaddress": True,
}

# (option switched off, input) -> why storeguard's key differs from validator.js with that option.
KNOWN_DIFFERENCES = {
    (
        "all_lowercase",
        "blAH@x.com",
    ): "storeguard always lower-cases: mailboxes are case-insensitive in practice",
    **{
        ("all_lowercase", e): "storeguard always lower-cases, whatever the provider"
        for e in (
            "TEST@FOO.COM",
            "ME@gMAil.com",
            "ME@me.COM",
            "ME@icloud.COM",
            "ME@outlook.COM",
            "JOHN@live.CA",
            "ME@ymail.COM",
            "ME@yandex.RU",
        )
    },
    **{
        ("gmail_remove_dots", e): "storeguard always removes gmail dots"
        for e in ("SOME.name@GMAIL.com", "SOME.name+me@GMAIL.com")
    },
    **{
        ("gmail_remove_subaddress", e): "storeguard always removes provider subaddresses"
        for e in (
            "foo+bar@gmail.com",
            "foo+bar@me.com",
            "foo+bar@icloud.com",
            "foo+bar@live.fr",
            "foo+bar@hotmail.co.uk",
            "foo-bar@yahoo.com",
        )
    },
    **{
        ("gmail_convert_googlemaildotcom", e): "storeguard always folds googlemail.com into gmail.com"
        for e in ("SOME.name+me@googlemail.com", "SOME.name+me@googlemail.COM", "SOME.name+me@googlEmail.com")
    },
    **{
        ("yandex_convert_yandexru", e): "storeguard always folds Yandex domains into yandex.ru"
        for e in ("test@yandex.kz", "test@yandex.ua", "test@yandex.com", "test@yandex.by")
    },
}


def _ours(email: str) -> str | bool:
    try:
        return normalize_email(email)
    except Invalid:
        return False


def test_normalize_email_agrees_with_every_published_case_or_a_listed_difference() -> None:
    cases = json.loads(shared_fixture("email", "normalizeEmail_vectors.json").read_text())["cases"]
    checked = exact = 0
    differences = set()
    for case in cases:
        options = (case.get("args") or [{}])[0]
        off = [k for k, v in options.items() if OUR_OPTIONS[k] != v]
        for email, expected in case["expect"].items():
            checked += 1
            got = _ours(email)
            if not off:
                assert got == expected, (options, email)
                exact += 1
            elif got != expected:
                differences.add((off[0], email))
    assert checked == 98
    assert exact == 47
    assert differences == set(KNOWN_DIFFERENCES)


def test_normalize_email_matches_the_default_option_set_exactly() -> None:
    cases = json.loads(shared_fixture("email", "normalizeEmail_vectors.json").read_text())["cases"]
    default = next(c for c in cases if not c.get("args"))
    assert {email: _ours(email) for email in default["expect"]} == default["expect"]


def test_disposable_list_is_pinned_and_named_with_its_version() -> None:
    assert list_version() == "disposable-email-domains 0.0.293"
    flag = check_disposable("mailinator.com")
    assert (flag.disposable, flag.matched, flag.list_version) == (True, "mailinator.com", list_version())


def test_disposable_check_covers_subdomains_and_leaves_real_providers_alone() -> None:
    assert check_disposable("eu.mailinator.com").matched == "mailinator.com"
    assert not is_disposable("gmail.com")
    assert not is_disposable("example.no")


def test_disposable_list_agrees_with_the_shared_reference_list() -> None:
    path = shared_fixture("email", "disposable_email_blocklist.conf")
    reference = {
        line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")
    }
    pinned = disposable_email_domains.blocklist
    # The two snapshots were taken at different times; almost all of the reference is in the pinned list.
    assert len(reference & pinned) / len(reference) > 0.99
    sample = sorted(reference & pinned)[::97]
    assert all(is_disposable(domain) for domain in sample)
