"""Pure login rules: locks, live sessions, passwords and where a login may send the browser next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storeguard.staff import policy

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("failures", "locked"), [(1, None), (4, None), (5, T0 + timedelta(minutes=15))])
def test_an_account_locks_at_the_fifth_failure_for_fifteen_minutes(failures, locked):
    assert policy.lock_after_failure(failures, T0) == locked


@pytest.mark.parametrize(
    ("expires", "revoked", "active", "live"),
    [
        (T0 + timedelta(seconds=1), None, True, True),
        (T0, None, True, False),
        (T0 + timedelta(hours=1), T0, True, False),
        (T0 + timedelta(hours=1), None, False, False),
    ],
    ids=["live", "expired", "revoked", "user-deactivated"],
)
def test_a_session_lets_its_user_in_only_while_unexpired_unrevoked_and_active(expires, revoked, active, live):
    assert policy.session_is_live(expires, revoked, active, T0) is live


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        ("/orders?status=open", True),
        ("/", True),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("https://evil.example/", False),
        ("", False),
        (None, False),
        ("/orders\nSet-Cookie: x", False),
    ],
)
def test_a_login_only_sends_the_browser_on_to_a_path_of_this_site(path, safe):
    assert policy.is_safe_next(path) is safe
