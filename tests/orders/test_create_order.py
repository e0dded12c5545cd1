import threading

import pytest
from sqlalchemy import event, select

from storeguard.core.actor import Actor
from storeguard.core.db import make_session_factory
from storeguard.core.enums import Role
from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.orders import policy
from storeguard.orders.actions import create_order
from storeguard.orders.enums import FinancialStatus, FulfillmentStatus, OrderStatus, TransactionKind
from storeguard.orders.models import InventoryMovement
from storeguard.orders.schemas import OrderCreate
from storeguard.shops.models import Shop
from tests.factories import make_customer, make_order, make_product, make_shop
from tests.orders.support import actions_of, world

AGENT = Actor("api_key", "agent-ann", Role.agent)


def _data(shop, lines, **kw) -> OrderCreate:
    return OrderCreate(shop_id=shop.id, currency=kw.pop("currency", shop.currency), lines=lines, **kw)


def test_create_order_prices_lines_totals_and_takes_stock(session, shop, shirt, mug):
    customer = make_customer(session, shop)
    data = _data(
        shop,
        [{"product_id": shirt.id, "quantity": 2, "discount": 500}, {"product_id": mug.id, "quantity": 1}],
        customer_id=customer.id,
        email="kari@example.com",
        shipping=900,
        tax=1200,
        discount=300,
        total=2 * 4500 - 500 + 1000 + 900 + 1200 - 300,
        payment={"kind": "sale", "fee": 320, "gateway": "stripe"},
    )

    order = create_order(session, actor=AGENT, data=data)

    assert (order.subtotal, order.total, order.currency) == (9500, 11300, "USD")
    assert order.number == "#1001"
    assert order.status == OrderStatus.open
    assert order.financial_status == FinancialStatus.paid
    assert order.fulfillment_status == FulfillmentStatus.unfulfilled
    assert [(li.sku, li.quantity, li.unit_price, li.total) for li in order.line_items] == [
        ("SHIRT", 2, 4500, 8500),
        ("MUG", 1, 1000, 1000),
    ]
    assert policy.ledger(order).net == 11300 - 320
    assert (shirt.stock, mug.stock) == (8, 4)
    movements = session.scalars(select(InventoryMovement).where(InventoryMovement.order_id == order.id)).all()
    assert sorted((m.product_id, m.delta, m.reason) for m in movements) == sorted(
        [(shirt.id, -2, "sold"), (mug.id, -1, "sold")]
    )
    assert actions_of(session, order.id) == ["order.created"]


def test_create_order_with_authorization_leaves_money_uncaptured(session, shop, shirt):
    order = create_order(
        session,
        actor=AGENT,
        data=_data(shop, [{"product_id": shirt.id, "quantity": 1}], payment={"kind": "authorization"}),
    )
    assert order.financial_status == FinancialStatus.authorized
    assert [t.kind for t in order.transactions] == [TransactionKind.authorization]
    assert policy.ledger(order).captured == 0


def test_create_order_numbers_orders_per_shop(session, shop, shirt):
    first = create_order(session, actor=AGENT, data=_data(shop, [{"product_id": shirt.id, "quantity": 1}]))
    second = create_order(session, actor=AGENT, data=_data(shop, [{"product_id": shirt.id, "quantity": 1}]))
    assert (first.number, second.number) == ("#1001", "#1002")
    assert first.financial_status == FinancialStatus.pending


@pytest.mark.parametrize(
    ("change", "error", "code"),
    [
        (lambda d, other: d.update(currency="XYZ"), Invalid, "invalid_currency"),
        (lambda d, other: d.update(currency="EUR"), Invalid, "currency_mismatch"),
        (lambda d, other: d.update(shop_id=999_999), NotFound, "shop_not_found"),
        (lambda d, other: d.update(customer_id=999_999), NotFound, "customer_not_found"),
        (
            lambda d, other: d["lines"].append({"product_id": 999_999, "quantity": 1}),
            Invalid,
            "unknown_product",
        ),
        (
            lambda d, other: d["lines"].append({"product_id": other.id, "quantity": 1}),
            Invalid,
            "unknown_product",
        ),
        (
            lambda d, other: d["lines"].append({"product_id": d["lines"][0]["product_id"], "quantity": 10}),
            Conflict,
            "insufficient_stock",
        ),
        (lambda d, other: d.update(total=1), Invalid, "total_mismatch"),
        (lambda d, other: d.update(discount=1_000_000), Invalid, "invalid_amount"),
        (lambda d, other: d["lines"][0].update(discount=1_000_000), Invalid, "invalid_amount"),
        (lambda d, other: d.update(payment={"kind": "sale", "amount": 1_000_000}), Invalid, "invalid_amount"),
        (lambda d, other: d.update(payment={"kind": "authorization", "fee": 30}), Invalid, "invalid_amount"),
        (lambda d, other: d.update(number="#taken"), Conflict, "duplicate_order_number"),
    ],
)
def test_create_order_refuses_bad_orders_and_changes_nothing(session, shop, shirt, change, error, code):
    other_shop_product = make_product(session, make_shop(session), price=100)
    create_order(
        session, actor=AGENT, data=_data(shop, [{"product_id": shirt.id, "quantity": 1}], number="#taken")
    )
    raw = {"shop_id": shop.id, "currency": "USD", "lines": [{"product_id": shirt.id, "quantity": 1}]}
    change(raw, other_shop_product)
    before = world(session)

    with pytest.raises(error) as refused:
        create_order(session, actor=AGENT, data=OrderCreate(**raw))

    assert refused.value.code == code
    assert world(session) == before


def test_create_order_skips_a_number_an_imported_order_already_has(session, shop, shirt):
    make_order(session, shop, number="#1001")

    made = create_order(session, actor=AGENT, data=_data(shop, [{"product_id": shirt.id, "quantity": 1}]))

    assert made.number == "#1002"
    assert session.get(Shop, shop.id).next_order_number == 1003


def test_create_order_jumps_past_imported_numbers_in_one_step(session, shop, shirt):
    for n in range(1001, 1301):
        make_order(session, shop, number=f"#{n}")
    make_order(session, shop, number="#1400-B")  # not "#N": never a number the counter gives
    statements: list[str] = []
    engine = session.get_bind().engine

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        made = create_order(session, actor=AGENT, data=_data(shop, [{"product_id": shirt.id, "quantity": 1}]))
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert made.number == "#1301"
    assert session.get(Shop, shop.id).next_order_number == 1302
    assert sum("next_order_number" in s for s in statements) == 2
    assert sum(s.lstrip().startswith("SELECT orders.id") for s in statements) == 3


def test_the_order_after_a_jump_takes_the_next_number_at_once(session, shop, shirt):
    for n in range(1001, 1011):
        make_order(session, shop, number=f"#{n}")
    create_order(session, actor=AGENT, data=_data(shop, [{"product_id": shirt.id, "quantity": 1}]))

    made = create_order(session, actor=AGENT, data=_data(shop, [{"product_id": shirt.id, "quantity": 1}]))

    assert made.number == "#1012"
    assert session.get(Shop, shop.id).next_order_number == 1013


def test_orders_made_at_the_same_time_never_share_a_number(backend, committing_engine):
    factory = make_session_factory(committing_engine)
    with factory() as setup:
        shop_ = make_shop(setup)
        products = [make_product(setup, shop_, stock=50) for _ in range(8)]
        setup.commit()
        shop_id, product_ids = shop_.id, [p.id for p in products]
    start = threading.Barrier(len(product_ids))
    numbers: list[str] = []

    def order_one(product_id: int) -> None:
        with factory() as session:
            start.wait()
            order = create_order(
                session,
                actor=AGENT,
                data=OrderCreate(
                    shop_id=shop_id, currency="USD", lines=[{"product_id": product_id, "quantity": 1}]
                ),
            )
            session.commit()
            numbers.append(order.number)

    workers = [threading.Thread(target=order_one, args=(pid,)) for pid in product_ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert sorted(numbers) == [f"#{1001 + i}" for i in range(8)]
