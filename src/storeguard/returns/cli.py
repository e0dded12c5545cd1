"""``storeguard returns ...``: open a return and take it through its steps from the command line."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from storeguard.core.actor import CLI
from storeguard.core.console import cli_session, console
from storeguard.core.money import to_decimal_str
from storeguard.returns import actions, service
from storeguard.returns.enums import Condition, ReturnReason, ReturnStatus
from storeguard.returns.models import Return


def _parse_line(value: str) -> actions.LineAsked:
    """``LINE_ID:QTY`` into the units of one order line to return."""
    parts = value.split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        return actions.LineAsked(int(parts[0]), int(parts[1]))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not LINE_ID:QTY") from None


def _parse_condition(value: str) -> tuple[int, str]:
    """``RETURN_LINE_ID:CONDITION`` into a line and the condition it came back in."""
    line, _, condition = value.partition(":")
    if not line.isdigit() or condition not in {c.value for c in Condition}:
        choices = ", ".join(c.value for c in Condition)
        raise typer.BadParameter(f"{value!r} is not RETURN_LINE_ID:CONDITION ({choices})")
    return int(line), condition


def _show(rma: Return) -> None:
    money = to_decimal_str(rma.refunded, rma.currency)
    console.print(
        f"return #{rma.id}  order #{rma.order_id}  {rma.status}  reason {rma.reason}  refunded {money} {rma.currency}"
    )
    for line in rma.lines:
        condition = (
            f"  {line.condition}, fee {to_decimal_str(line.fee, rma.currency)}" if line.condition else ""
        )
        console.print(f"  line {line.id}: {line.quantity} x order line {line.line_item_id}{condition}")


def register(app: typer.Typer) -> None:
    """Add the ``returns`` commands to the root app."""
    returns = typer.Typer(help="Open returns and take them from request to refund.", no_args_is_help=True)
    app.add_typer(returns, name="returns")

    @returns.command("list")
    def list_returns(
        status: ReturnStatus | None = typer.Option(None, help="Only returns in this state."),
        order_id: int | None = typer.Option(None, help="Only this order's returns."),
        limit: int = typer.Option(50, min=1, max=500),
    ) -> None:
        """List returns, newest first."""
        with cli_session() as session:
            rows, total = service.list_returns(session, status=status, order_id=order_id, limit=limit)
        table = Table("id", "order", "status", "reason", "units", "requested", title=f"{total} return(s)")
        for r in rows:
            units = sum(x.quantity for x in r.lines)
            table.add_row(
                str(r.id), str(r.order_id), r.status, r.reason, str(units), f"{r.requested_at:%Y-%m-%d}"
            )
        console.print(table)

    @returns.command("show")
    def show(return_id: int = typer.Argument(..., help="The return's id.")) -> None:
        """Show a return with its lines, their condition and fees."""
        with cli_session() as session:
            _show(service.get_return(session, return_id))

    @returns.command("request")
    def request(
        order_id: int = typer.Argument(..., help="The order's id."),
        line: list[str] = typer.Option(..., "--line", help="LINE_ID:QTY, once per line returned."),
        reason: ReturnReason = typer.Option(..., help="Why the customer returns it."),
        note: str | None = typer.Option(None, help="What the customer said."),
        late: bool = typer.Option(False, help="After the window, where the policy allows late returns."),
    ) -> None:
        """Open a return for shipped units of an order."""
        lines = [_parse_line(x) for x in line]
        with cli_session() as session:
            rma = actions.request_return(
                session, order_id=order_id, reason=reason, lines=lines, note=note, late=late, actor=CLI
            )
            session.commit()
            _show(rma)

    @returns.command("authorize")
    def authorize(return_id: int = typer.Argument(...), note: str | None = typer.Option(None)) -> None:
        """Let the customer send the goods back."""
        with cli_session() as session:
            _show(actions.authorize_return(session, return_id=return_id, actor=CLI, note=note))
            session.commit()

    @returns.command("decline")
    def decline(
        return_id: int = typer.Argument(...),
        reason: str = typer.Option(..., help="Why (the customer is told)."),
    ) -> None:
        """Refuse a requested return."""
        with cli_session() as session:
            _show(actions.decline_return(session, return_id=return_id, actor=CLI, reason=reason))
            session.commit()

    @returns.command("receive")
    def receive(return_id: int = typer.Argument(...)) -> None:
        """Record that the goods arrived back."""
        with cli_session() as session:
            _show(actions.receive_return(session, return_id=return_id, actor=CLI))
            session.commit()

    @returns.command("inspect")
    def inspect(
        return_id: int = typer.Argument(...),
        condition: list[str] = typer.Option(
            ..., "--condition", help="RETURN_LINE_ID:CONDITION, once per line."
        ),
        note: str | None = typer.Option(None),
    ) -> None:
        """Record each line's condition (new_with_tags, used, damaged_by_customer, not_the_item_sent)."""
        conditions = dict(_parse_condition(x) for x in condition)
        with cli_session() as session:
            _show(
                actions.inspect_return(
                    session, return_id=return_id, actor=CLI, conditions=conditions, note=note
                )
            )
            session.commit()

    @returns.command("photo")
    def photo(
        return_id: int = typer.Argument(...),
        path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="An image file."),
    ) -> None:
        """Add a photo of the returned goods (stored re-encoded, without its metadata)."""
        with cli_session() as session:
            made = actions.add_return_photo(session, return_id=return_id, data=path.read_bytes(), actor=CLI)
            session.commit()
            console.print(
                f"photo #{made.id} kept: {made.width}x{made.height} {made.content_type}, {made.size:,} bytes"
            )

    @returns.command("refund")
    def refund(
        return_id: int = typer.Argument(...),
        shipping: int = typer.Option(0, min=0, help="Return shipping to refund too, in minor units."),
        notify: bool = typer.Option(False, help="Mail the customer about the refund."),
    ) -> None:
        """Refund the return through its order: the lines' value less the fees kept."""
        with cli_session() as session:
            _show(
                actions.refund_return(
                    session, return_id=return_id, actor=CLI, shipping=shipping, notify_customer=notify
                )
            )
            session.commit()

    @returns.command("reject")
    def reject(
        return_id: int = typer.Argument(...),
        reason: str = typer.Option(..., help="Why (the customer is told)."),
    ) -> None:
        """Refuse a received return after inspection; no money moves."""
        with cli_session() as session:
            _show(actions.reject_return(session, return_id=return_id, actor=CLI, reason=reason))
            session.commit()
