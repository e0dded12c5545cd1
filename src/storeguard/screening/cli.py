"""``storeguard reviews ...`` (the review queue) and ``storeguard rules backtest``."""

from __future__ import annotations

import json
from datetime import datetime

import typer
from rich.table import Table

from storeguard.core.actor import CLI
from storeguard.core.clock import ensure_utc, now
from storeguard.core.console import cli_session, console, err_console
from storeguard.core.money import to_decimal_str
from storeguard.rules.cli import rule_errors, rules_app
from storeguard.screening import profiles_cli, service
from storeguard.screening.actions import approve_review, cancel_review
from storeguard.screening.backtest import backtest

reviews_app = typer.Typer(help="Work the queue of orders held for review.", no_args_is_help=True)


@reviews_app.command("list")
def list_command(
    shop: int | None = typer.Option(None, help="Only this shop's held orders."),
    limit: int = typer.Option(50, help="How many to show."),
) -> None:
    """List held orders, the longest held first, with their age and the reasons they are held."""

    with cli_session() as session:
        orders, total = service.review_queue(session, shop_id=shop, limit=limit)
        decisions = service.latest_decisions(session, [o.id for o in orders])
        table = Table("order", "number", "total", "waiting", "score", "reasons")
        for order in orders:
            decision = decisions.get(order.id)
            hours = (now() - service.held_since(order)).total_seconds() / 3600
            reasons = "; ".join(
                r["message"] for r in (decision.reasons if decision else []) if r.get("decisive")
            )
            table.add_row(
                str(order.id),
                order.number,
                f"{to_decimal_str(order.total, order.currency)} {order.currency}",
                f"{hours:.1f} h",
                str(decision.score if decision else "-"),
                reasons or order.hold_reason or "",
            )
    console.print(table)
    console.print(f"{total} held order(s)")


@reviews_app.command("approve")
def approve_command(
    order_id: int = typer.Argument(..., help="The held order's id."),
    note: str | None = typer.Option(None, help="Why it is fine."),
) -> None:
    """Release a held order to fulfilment."""

    with cli_session() as session:
        order = approve_review(session, order_id=order_id, actor=CLI, note=note)
        session.commit()
        console.print(f"released order {order.number} to fulfilment")


@reviews_app.command("cancel")
def cancel_command(
    order_id: int = typer.Argument(..., help="The held order's id."),
    refund: bool | None = typer.Option(
        None, "--refund/--no-refund", help="Refund what was paid (default: policy)."
    ),
    restock: bool | None = typer.Option(
        None, "--restock/--no-restock", help="Put the items back (default: policy)."
    ),
    note: str | None = typer.Option(None, help="Why it is cancelled."),
) -> None:
    """Cancel a held order with refund and restock as chosen."""

    with cli_session() as session:
        order = cancel_review(
            session, order_id=order_id, actor=CLI, refund=refund, restock=restock, note=note
        )
        session.commit()
        console.print(f"cancelled order {order.number} ({order.financial_status})")


def _parse_time(value: str, name: str) -> datetime:

    try:
        return ensure_utc(datetime.fromisoformat(value))
    except ValueError:
        err_console.print(
            f"[red]error[/red] invalid_date: --{name} {value!r} is not an ISO 8601 date or time"
        )
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    """Add ``reviews`` and ``profiles``, and attach ``backtest`` to ``rules``."""

    app.add_typer(reviews_app, name="reviews")
    profiles_cli.register(app)

    @rules_app.command("backtest")
    def backtest_command(
        rules: list[str] = typer.Argument(
            ..., help='One or more draft rules, e.g. "block if order.total > 900".'
        ),
        shop: int = typer.Option(..., help="The shop id."),
        date_from: str = typer.Option(..., "--from", help="Start (ISO 8601), inclusive."),
        date_to: str = typer.Option(..., "--to", help="End (ISO 8601), exclusive."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Run draft rules over past orders: orders and revenue stopped, and how many of those were good."""

        start, end = _parse_time(date_from, "from"), _parse_time(date_to, "to")
        # A bad draft is shown as `rules add` shows one, named by its place on the command line.
        fields = [f"rule {i}" for i in range(1, len(rules) + 1)]
        with cli_session() as session, rule_errors():
            result = backtest(
                session, shop_id=shop, sources=rules, date_from=start, date_to=end, fields=fields
            ).as_dict()
        if as_json:
            print(json.dumps(result))
            return
        cur = result["currency"]
        money = {
            k: to_decimal_str(result[k], cur) for k in ("revenue", "stopped_revenue", "stopped_good_revenue")
        }
        console.print(
            f"{result['orders']} orders ({money['revenue']} {cur}) from {result['from']} to {result['to']}"
        )
        console.print(
            f"stopped {result['stopped']} orders, {money['stopped_revenue']} {cur} {result['by_action']}"
        )
        console.print(
            f"  turned bad later: {result['stopped_bad']} (of {result['bad_total']} bad orders in all)"
        )
        console.print(
            f"  good orders stopped: {result['stopped_good']} ({money['stopped_good_revenue']} {cur}, "
            f"{result['good_customers_stopped']} customers)"
        )
        console.print(f"{result['path']} path, {result['seconds']} s")
