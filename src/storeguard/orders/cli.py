"""``storeguard orders ...``: show, list, cancel and refund orders from the command line."""

from __future__ import annotations

import typer

from storeguard.core.actor import CLI
from storeguard.core.console import cli_session, console
from storeguard.core.money import to_decimal_str
from storeguard.orders import actions, policy, service
from storeguard.orders.enums import CancelReason, FinancialStatus, FulfillmentStatus, OrderStatus
from storeguard.orders.reindex import reindex_identifiers
from storeguard.orders.schemas import OrderFilter


def _money(minor: int, currency: str) -> str:
    return f"{to_decimal_str(minor, currency)} {currency}"


def parse_refund_line(value: str) -> tuple[int, int, bool]:
    """Parse ``LINE_ID:QTY`` or ``LINE_ID:QTY:restock`` into its parts."""
    parts = value.split(":")
    try:
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "restock"):
            raise ValueError
        return int(parts[0]), int(parts[1]), len(parts) == 3
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not LINE_ID:QTY or LINE_ID:QTY:restock") from None


def register(app: typer.Typer) -> None:
    """Add the ``orders`` commands to the root app."""
    orders = typer.Typer(help="Show, list, cancel and refund orders.", no_args_is_help=True)
    app.add_typer(orders, name="orders")

    @orders.command("show")
    def show(order_id: int = typer.Argument(..., help="The order's id.")) -> None:
        """Show an order: lines, money ledger, shipments and refunds."""

        with cli_session() as session:
            order = service.get_order(session, order_id)
            money = policy.ledger(order)
            console.print(
                f"order {order.number} (#{order.id})  {order.status}  {order.financial_status}  "
                f"{order.fulfillment_status}{'  HELD' if order.held else ''}"
            )
            console.print(f"  total {_money(order.total, order.currency)}  email {order.email or '-'}")
            for line in order.line_items:
                console.print(
                    f"  line {line.id}: {line.quantity} x {line.sku} {line.title} @ "
                    f"{_money(line.unit_price, order.currency)}  shipped {line.fulfilled_quantity}  "
                    f"refunded {line.refunded_quantity}  restocked {line.restocked_quantity}"
                )
                for prop in line.properties or []:
                    console.print(f"    {prop['name']}: {prop['value']}", markup=False)
            console.print(
                f"  captured {_money(money.captured, money.currency)}  refunded {_money(money.refunded, money.currency)}"
                f"  fees {_money(money.fees, money.currency)}  net {_money(money.net, money.currency)}"
            )
            for f in order.fulfillments:
                console.print(
                    f"  fulfilment {f.id}: {f.state} {f.carrier or ''} {f.tracking_number or ''}".rstrip()
                )
            for r in order.refunds:
                console.print(
                    f"  refund {r.id}: {_money(r.amount, r.currency)} expected "
                    f"{r.expected_arrival_from}..{r.expected_arrival_to} {r.reason or ''}".rstrip()
                )

    @orders.command("list")
    def list_(
        status: OrderStatus | None = typer.Option(None, help="open, cancelled or closed."),
        financial_status: FinancialStatus | None = typer.Option(None, help="e.g. paid, refunded."),
        fulfillment_status: FulfillmentStatus | None = typer.Option(
            None, help="unfulfilled, partial, fulfilled."
        ),
        shop_id: int | None = typer.Option(None, help="Only this shop's orders."),
        customer_id: int | None = typer.Option(None, help="Only this customer's orders."),
        q: str | None = typer.Option(None, help="Part of the order number or email."),
        limit: int = typer.Option(50, min=1, max=500, help="How many to show."),
        offset: int = typer.Option(0, min=0, help="How many to skip."),
    ) -> None:
        """List orders, newest first."""

        filters = OrderFilter(
            status=status,
            financial_status=financial_status,
            fulfillment_status=fulfillment_status,
            shop_id=shop_id,
            customer_id=customer_id,
            q=q,
        )
        with cli_session() as session:
            found, total = service.list_orders(session, filters, limit=limit, offset=offset)
            for o in found:
                console.print(
                    f"#{o.id}  {o.number}  {o.created_at:%Y-%m-%d %H:%M}  {_money(o.total, o.currency)}  "
                    f"{o.status}  {o.financial_status}  {o.fulfillment_status}  {o.email or '-'}"
                )
            console.print(f"{len(found)} of {total} order(s)")

    @orders.command("cancel")
    def cancel(
        order_id: int = typer.Argument(..., help="The order's id."),
        reason: CancelReason = typer.Option(..., help="customer, fraud, inventory, declined or other."),
        refund: bool = typer.Option(False, "--refund/--no-refund", help="Refund everything captured."),
        restock: bool = typer.Option(False, "--restock/--no-restock", help="Put the goods back into stock."),
        notify: bool = typer.Option(False, "--notify/--no-notify", help="Mail the customer."),
        note: str | None = typer.Option(None, help="Staff note kept in the audit log."),
    ) -> None:
        """Cancel an order. It moves no money unless --refund is given."""

        with cli_session() as session:
            order = actions.cancel_order(
                session,
                order_id=order_id,
                actor=CLI,
                reason=reason,
                refund=refund,
                restock=restock,
                notify_customer=notify,
                staff_note=note,
            )
            session.commit()
            refunded = policy.refunded_amount(order)
            console.print(
                f"cancelled order {order.number} ({reason}); {order.financial_status}, "
                f"refunded {_money(refunded, order.currency)} in all"
            )

    @orders.command("refund")
    def refund(
        order_id: int = typer.Argument(..., help="The order's id."),
        line: list[str] = typer.Option(
            [], "--line", help="LINE_ID:QTY or LINE_ID:QTY:restock; repeat for several lines."
        ),
        shipping: int = typer.Option(0, min=0, help="Shipping to refund, in minor units (900 = 9.00)."),
        amount: int = typer.Option(0, min=0, help="Extra amount to refund, in minor units."),
        reason: str | None = typer.Option(None, help="Why (e.g. returned, damaged, goodwill)."),
        note: str | None = typer.Option(None, help="Staff note."),
        notify: bool = typer.Option(False, "--notify/--no-notify", help="Mail the customer the refund."),
    ) -> None:
        """Refund lines (restocking those marked), shipping and/or an amount; never more than captured."""

        specs = [actions.RefundLineSpec(*parse_refund_line(value)) for value in line]
        with cli_session() as session:
            made = actions.refund_order(
                session,
                order_id=order_id,
                actor=CLI,
                lines=specs,
                shipping=shipping,
                amount=amount,
                reason=reason,
                note=note,
                notify_customer=notify,
            )
            session.commit()
            console.print(
                f"refunded {_money(made.amount, made.currency)} (refund #{made.id}); expected to arrive "
                f"{made.expected_arrival_from} to {made.expected_arrival_to}"
            )

    @orders.command("reindex-identifiers")
    def reindex(shop_id: int = typer.Option(None, "--shop", help="Only this shop.")) -> None:
        """Derive customers' identifiers from every stored order again and rebuild the link clusters."""
        with cli_session() as session:
            result = reindex_identifiers(session, shop_id)
            session.commit()
            console.print(
                f"read {result.orders} orders: {result.identifiers_added} identifiers added, "
                f"{result.identifiers_updated} updated, {result.linked_clusters} linked clusters"
            )
