"""Who is acting: a staff member's API key, the system, a webhook or the customer."""

from __future__ import annotations

from dataclasses import dataclass

from storeguard.core.enums import Role
from storeguard.core.errors import CommonError, Invalid


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # api_key, system, webhook, customer, cli
    name: str
    role: Role = Role.viewer

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"

    def can(self, role: Role) -> bool:
        """Tell whether this actor holds at least ``role``."""
        return self.role.at_least(role)


def parse_role(value: Role | str) -> Role:
    """Return the role ``value`` names, or raise ``Invalid`` (field ``role``)."""
    try:
        return Role(value)
    except ValueError:
        raise Invalid(
            CommonError.invalid_role, f"{value!r} is not a role (owner, admin, agent, viewer)", field="role"
        ) from None


SYSTEM = Actor("system", "storeguard", Role.owner)
CLI = Actor("cli", "operator", Role.owner)
