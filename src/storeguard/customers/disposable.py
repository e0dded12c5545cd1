"""Disposable (throw-away) email domains, from one pinned, versioned list.

Lists of disposable domains disagree with each other, so storeguard pins one: the
``disposable-email-domains`` package (CC0), whose version is recorded with every flag so a
decision can be explained later with the list it was made with.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version

import disposable_email_domains

LIST_NAME = "disposable-email-domains"


@lru_cache(maxsize=1)
def list_version() -> str:
    """Return the pinned list's name and version, e.g. ``disposable-email-domains 0.0.293``."""
    return f"{LIST_NAME} {version(LIST_NAME)}"


@dataclass(frozen=True, slots=True)
class DisposableFlag:
    """Whether a domain is disposable, and which list said so."""

    domain: str
    disposable: bool
    matched: str | None  # the listed domain that matched (the domain itself or a parent)
    list_version: str


def check_disposable(domain: str) -> DisposableFlag:
    """Tell whether a normalized mail domain, or a parent domain of it, is on the pinned list."""
    labels = domain.lower().rstrip(".").split(".")
    allow = disposable_email_domains.allowlist
    block = disposable_email_domains.blocklist
    for i in range(len(labels) - 1):
        candidate = ".".join(labels[i:])
        if candidate in allow:
            return DisposableFlag(domain, False, None, list_version())
        if candidate in block:
            return DisposableFlag(domain, True, candidate, list_version())
    return DisposableFlag(domain, False, None, list_version())


def is_disposable(domain: str) -> bool:
    """Tell whether mail to this domain goes to a throw-away inbox."""
    return check_disposable(domain).disposable
