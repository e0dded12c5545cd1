"""Enumerations the core shares with every domain."""

from enum import StrEnum


class Role(StrEnum):
    """What an API key may do; each role includes the ones below it."""

    viewer = "viewer"
    agent = "agent"
    admin = "admin"
    owner = "owner"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: "Role") -> bool:
        return self.rank >= other.rank


_RANK = {Role.viewer: 0, Role.agent: 1, Role.admin: 2, Role.owner: 3}


class Language(StrEnum):
    """The languages storeguard's pages speak; a staff user picks one, ``?lang=`` switches it."""

    en = "en"
    nb = "nb"
    he = "he"
    zh = "zh"


class OutboxStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    dead = "dead"


class RunStatus(StrEnum):
    """Where a long piece of work run in the background stands."""

    running = "running"
    finished = "finished"
    refused = "refused"  # the work looked at everything and changed nothing (an import with bad rows)
    failed = "failed"  # an error stopped it; its message is kept
