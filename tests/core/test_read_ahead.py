"""Statements read ahead as one statement on the checkout's autocommit reads (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import BigInteger, Engine, bindparam, literal_column, select
from sqlalchemy.orm import Session

from storeguard.core.db import read_only_engine
from storeguard.core.prepared import Driver, Prepared, reading
from storeguard.shops.models import Shop

_SHOP_NAME = Prepared(lambda: select(Shop.name).where(Shop.id == bindparam("shop_id", type_=BigInteger)))
_SHOP_CURRENCY = Prepared(
    lambda: select(Shop.currency).where(Shop.id == bindparam("shop_id", type_=BigInteger))
)
# Wider rows of other types (a timestamp, JSON) and a literal percent sign, for several shops.
_SHOPS = Prepared(
    lambda: select(Shop.id, Shop.created_at, Shop.settings, literal_column("'50%'")).where(
        Shop.id.in_([bindparam("first", type_=BigInteger), bindparam("second", type_=BigInteger)])
    )
)


@pytest.fixture
def shops(committing_engine: Engine) -> Iterator[tuple[Engine, list[int]]]:
    with Session(committing_engine) as setup:
        made = [Shop(name=f"Shop {n}", domain=f"s{n}.example", currency="NOK", country="NO") for n in (1, 2)]
        setup.add_all(made)
        setup.commit()
        ids = [shop.id for shop in made]
    reads = (
        read_only_engine(committing_engine)
        if committing_engine.dialect.name == "postgresql"
        else committing_engine
    )
    yield reads, ids
    if reads is not committing_engine:
        reads.dispose()


def _count_runs(db: Driver, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every statement sent to the database from now on."""
    ran: list[str] = []
    real = Driver.run

    def counting(self: Driver, sql: str, params: Any) -> list[tuple[Any, ...]]:
        ran.append(sql)
        return real(self, sql, params)

    monkeypatch.setattr(Driver, "run", counting)
    return ran


def test_rows_read_ahead_are_what_each_statement_then_answers_without_running_it_again(
    shops: tuple[Engine, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, (first, second) = shops
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no round trips to save: see the next test")
    with reading(engine) as db:
        db.ahead([(_SHOP_NAME, {"shop_id": first}, ()), (_SHOP_CURRENCY, {"shop_id": second}, ())])
        ran = _count_runs(db, monkeypatch)
        name = _SHOP_NAME.one(db, {"shop_id": first})
        currency = _SHOP_CURRENCY.one(db, {"shop_id": second})

    assert (name, currency, ran) == (("Shop 1",), ("NOK",), [])


def test_rows_read_ahead_are_served_once_and_only_for_the_same_values(
    shops: tuple[Engine, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, (first, second) = shops
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no round trips to save")
    with reading(engine) as db:
        db.ahead([(_SHOP_NAME, {"shop_id": first}, ())])
        ran = _count_runs(db, monkeypatch)
        other = _SHOP_NAME.one(db, {"shop_id": second})
        kept = _SHOP_NAME.one(db, {"shop_id": first})
        again = _SHOP_NAME.one(db, {"shop_id": first})

    assert (other, kept, again, len(ran)) == (("Shop 2",), ("Shop 1",), ("Shop 1",), 2)


def test_on_sqlite_nothing_is_read_ahead(shops: tuple[Engine, list[int]]) -> None:
    engine, (first, _) = shops
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reads ahead: see above")
    with reading(engine) as db:
        db.ahead([(_SHOP_NAME, {"shop_id": first}, ())])
        assert db._ahead == {}
        assert _SHOP_NAME.one(db, {"shop_id": first}) == ("Shop 1",)


def test_inside_a_write_transaction_nothing_is_read_ahead(session: Session) -> None:
    shop = Shop(name="Written", domain="w.example", currency="NOK", country="NO")
    session.add(shop)
    db = Driver(session)
    db.ahead([(_SHOP_NAME, {"shop_id": shop.id}, ())])

    assert db._ahead == {}
    assert _SHOP_NAME.one(db, {"shop_id": shop.id}) == ("Written",)


def test_a_statement_that_fails_ahead_fails_again_where_it_is_asked_for(
    shops: tuple[Engine, list[int]],
) -> None:
    engine, (first, _) = shops
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no round trips to save")
    too_big = 2**70  # no BIGINT holds it: the server refuses the value
    with reading(engine) as db:
        db.ahead([(_SHOP_NAME, {"shop_id": first}, ()), (_SHOP_CURRENCY, {"shop_id": too_big}, ())])
        assert db._ahead == {}
        assert _SHOP_NAME.one(db, {"shop_id": first}) == ("Shop 1",)
        with pytest.raises(Exception, match="out of range"):
            _SHOP_CURRENCY.one(db, {"shop_id": too_big})


def test_statements_read_ahead_reach_the_server_as_one(
    shops: tuple[Engine, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, (first, second) = shops
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no round trips to save")
    sent: list[str] = []
    execute = psycopg.RawCursor.execute

    def counting(cursor: Any, query: Any, *args: Any, **kw: Any) -> Any:
        sent.append(query)
        return execute(cursor, query, *args, **kw)

    monkeypatch.setattr(psycopg.RawCursor, "execute", counting)
    with reading(engine) as db:
        ran = _count_runs(db, monkeypatch)
        db.ahead(
            [
                (_SHOP_NAME, {"shop_id": first}, ()),
                (_SHOP_CURRENCY, {"shop_id": second}, ()),
                (_SHOPS, {"first": first, "second": second}, ()),
            ]
        )

    assert (len(sent), ran) == (1, [])


def test_each_statement_read_ahead_answers_the_rows_it_answers_alone(
    shops: tuple[Engine, list[int]],
) -> None:
    engine, (first, second) = shops
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no round trips to save")
    runs: list[tuple[Prepared, dict[str, Any], tuple[Any, ...]]] = [
        (_SHOPS, {"first": first, "second": second}, ()),
        (_SHOP_NAME, {"shop_id": 0}, ()),  # no such shop: no rows
        (_SHOP_CURRENCY, {"shop_id": second}, ()),
    ]
    with reading(engine) as db:
        alone = [sorted(prepared.rows(db, values)) for prepared, values, _ in runs]
        db.ahead(runs)
        ahead = [sorted(prepared.rows(db, values)) for prepared, values, _ in runs]

    assert ahead == alone
    assert [len(rows) for rows in ahead] == [2, 0, 1]
    assert ahead[0][0][3] == "50%"
