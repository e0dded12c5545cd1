"""Statements compiled once per dialect: the pieces hot paths build them from."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.prepared import Prepared, constant, cross_join
from storeguard.customers.models import Identifier
from storeguard.lists.enums import EntryStatus
from storeguard.lists.models import ListEntry
from tests.factories import make_customer, make_shop
from tests.lists.helpers import block_entry

_I, _E = Identifier.__table__, ListEntry.__table__
_HELD = Prepared(
    lambda: (
        select(_I.c.customer_id, _E.c.id)
        .select_from(cross_join(_I, _E))
        .where(_E.c.type == _I.c.type, _E.c.value == _I.c.value, _E.c.status == constant(EntryStatus.active))
        .order_by(_E.c.id)
    )
)


def test_a_cross_join_is_written_as_one_with_its_conditions_in_the_where_clause(session: Session) -> None:
    sql = _HELD._for(session.get_bind().dialect, ()).sql

    assert "FROM identifiers CROSS JOIN list_entries WHERE" in " ".join(sql.split())


def test_a_constant_is_written_into_the_statement_and_not_bound(session: Session) -> None:
    compiled = _HELD._for(session.get_bind().dialect, ())

    assert "list_entries.status = 'active'" in compiled.sql
    assert compiled.defaults == {}


def test_a_cross_join_finds_the_rows_its_where_clause_joins(session: Session) -> None:
    shop = make_shop(session)
    kari, ola = make_customer(session, shop), make_customer(session, shop)
    for customer, kind, value in ((kari, "email", "kari@example.no"), (ola, "phone", "+4791234567")):
        session.add(
            Identifier(shop_id=shop.id, customer_id=customer.id, type=kind, value=value, display=value)
        )
    on_email = block_entry(session, shop.id, "email", "kari@example.no")
    lifted = block_entry(session, shop.id, "email", "kari@example.no", action="review")
    lifted.status = EntryStatus.lifted
    block_entry(session, shop.id, "phone", "+4790000000")  # nobody's

    rows = _HELD.rows(session, {})

    assert rows == [(kari.id, on_email.id)]
