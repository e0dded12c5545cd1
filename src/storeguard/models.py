"""Every table storeguard has: importing this module puts each one on ``Base.metadata``.

The one list of model modules, written out so that a misspelt or missing one fails at import
rather than leaving a table out of migrations. A new domain with tables adds its line here.
"""

from __future__ import annotations

from sqlalchemy import MetaData

import storeguard.appeals.models
import storeguard.cases.models
import storeguard.core.models
import storeguard.customers.models
import storeguard.disputes.models
import storeguard.integrations.events.actions  # raises outbound events from the audit log
import storeguard.integrations.events.models
import storeguard.integrations.models
import storeguard.lists.models
import storeguard.notifications.models
import storeguard.orders.models
import storeguard.policies.models
import storeguard.returns.ledger  # hands the loss ledger its restocking fees and accepted returns
import storeguard.returns.models
import storeguard.risk.freshness  # its session listener marks customers whose history changed
import storeguard.risk.models
import storeguard.rules.models
import storeguard.screening.models
import storeguard.screening.profiles  # keeps each customer's profile current on the same listener
import storeguard.screening.segments  # places customers risk has not assessed, for their page
import storeguard.shops.models
import storeguard.staff.models  # noqa: F401 - imported for their tables
from storeguard.core.db import Base


def import_all_models() -> MetaData:
    """Return the metadata of every table (the imports above have registered them)."""
    return Base.metadata
