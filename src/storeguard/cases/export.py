"""What support cases hold about a customer, for their privacy export: cases with every entry,
conduct incidents, block proposals and legal holds (registered with ``core.privacy``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.cases.models import BlockProposal, Case, ConductIncident, LegalHold
from storeguard.core.privacy import add_export_part, row_data
from storeguard.customers.models import Customer


def cases_part(session: Session, customer: Customer) -> dict[str, Any]:
    cases = session.scalars(select(Case).where(Case.customer_id == customer.id).order_by(Case.id))
    return {
        "cases": [
            {
                **row_data(c),
                "entries": [row_data(e) for e in c.entries],
                "links": [row_data(x) for x in c.links],
            }
            for c in cases
        ],
        "conduct_incidents": [
            row_data(i)
            for i in session.scalars(
                select(ConductIncident)
                .where(ConductIncident.customer_id == customer.id)
                .order_by(ConductIncident.id)
            )
        ],
        "block_proposals": [
            row_data(p)
            for p in session.scalars(
                select(BlockProposal)
                .where(BlockProposal.customer_id == customer.id)
                .order_by(BlockProposal.id)
            )
        ],
        "legal_holds": [
            row_data(h)
            for h in session.scalars(
                select(LegalHold).where(LegalHold.customer_id == customer.id).order_by(LegalHold.id)
            )
        ],
    }


add_export_part("cases", cases_part)
