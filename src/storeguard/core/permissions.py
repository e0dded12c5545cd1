"""The one permission table: what each kind of work needs, for API keys and staff users alike.

A JSON route and the admin page that does the same work name the same permission, so a key and a
person with the same role may do exactly the same things. A page also asks the table which
buttons to show, so a viewer is never offered what the server would refuse. Packages whose
routes still name a role (``Viewer``, ``Agent``, ``Admin``, ``Owner`` in ``core.api``) move to a
permission here when their pages are built.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from storeguard.core.enums import Role


class Permission(StrEnum):
    """A kind of work, named for what people do."""

    read = "read"  # see orders, their money, shipments, decisions and timelines
    work_orders = "work_orders"  # cancel, refund, capture, void, fulfil; customers' cancel requests
    read_audit = "read_audit"  # the whole audit log and its verification
    write_rules = "write_rules"  # write, change and switch screening rules and named lists
    manage_integrations = (
        "manage_integrations"  # see deliveries and outbound messages, send failed ones again
    )
    manage_settings = "manage_settings"  # screening thresholds and weights, reason codes, notices
    manage_staff = "manage_staff"  # add and deactivate staff users, make and revoke API keys
    manage_secrets = "manage_secrets"  # set shops' and gateways' webhook secrets and API tokens
    block_customers = "block_customers"  # block and unblock customers (a shop may ask for a higher role)
    review_orders = "review_orders"  # approve or cancel held orders in the review queue, add review notes
    erase_personal_data = (
        "erase_personal_data"  # answer a data-protection request by erasing a customer's data
    )


PERMISSIONS: Mapping[Permission, Role] = MappingProxyType(
    {
        Permission.read: Role.viewer,
        Permission.work_orders: Role.agent,
        Permission.read_audit: Role.admin,
        Permission.block_customers: Role.agent,
        Permission.write_rules: Role.admin,
        Permission.manage_integrations: Role.admin,
        Permission.manage_staff: Role.owner,
        Permission.manage_secrets: Role.owner,
        Permission.manage_settings: Role.admin,
        Permission.review_orders: Role.agent,
        Permission.erase_personal_data: Role.admin,
    }
)


def required_role(permission: Permission) -> Role:
    """Return the weakest role that has ``permission``."""
    return PERMISSIONS[permission]


def allows(role: Role | str, permission: Permission) -> bool:
    """Tell whether ``role`` has ``permission``."""
    return Role(role).at_least(PERMISSIONS[permission])
