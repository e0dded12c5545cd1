"""``storeguard disputes ...``: the inbox by deadline, one dispute, and the merchant's answer."""

from __future__ import annotations

import typer
from rich.table import Table

from storeguard.core.actor import CLI
from storeguard.core.clock import now
from storeguard.core.console import cli_session, console
from storeguard.core.money import to_decimal_str
from storeguard.disputes import actions, service
from storeguard.disputes.policy import is_overdue, normalized_reason


def register(app: typer.Typer) -> None:
    """Add the ``disputes`` commands to the root app."""
    disputes = typer.Typer(help="Answer disputes before their deadline.", no_args_is_help=True)
    app.add_typer(disputes, name="disputes")

    @disputes.command("list")
    def list_disputes(
        open_only: bool = typer.Option(False, "--open", help="Only those still waiting for an answer."),
        limit: int = typer.Option(50, min=1, max=500),
    ) -> None:
        """The inbox: soonest deadline first."""
        with cli_session() as session:
            rows, total = service.list_disputes(session, open_only=open_only, limit=limit)
        at = now()
        table = Table(
            "id",
            "gateway",
            "dispute",
            "order",
            "reason",
            "amount",
            "status",
            "due",
            title=f"{total} dispute(s)",
        )
        for d in rows:
            due = f"{d.evidence_due_at:%Y-%m-%d %H:%M}" if d.evidence_due_at else "-"
            if is_overdue(d.status, d.evidence_due_at, at):
                due += " PAST DUE"
            table.add_row(
                str(d.id),
                d.gateway,
                d.gateway_dispute_id,
                str(d.order_id or "-"),
                normalized_reason(d.reason),
                f"{to_decimal_str(d.amount, d.currency)} {d.currency}",
                d.status,
                due,
            )
        console.print(table)

    @disputes.command("accept")
    def accept(
        dispute_id: int = typer.Argument(...),
        reason: str = typer.Option(..., help="Why it is not contested."),
    ) -> None:
        """Do not contest the dispute."""
        with cli_session() as session:
            d = actions.accept_dispute(session, dispute_id=dispute_id, actor=CLI, reason=reason)
            session.commit()
            console.print(f"dispute #{d.id} accepted: {d.status}")

    @disputes.command("contest")
    def contest(dispute_id: int = typer.Argument(...), note: str | None = typer.Option(None)) -> None:
        """Decide to contest the dispute."""
        with cli_session() as session:
            d = actions.contest_dispute(session, dispute_id=dispute_id, actor=CLI, note=note)
            session.commit()
            console.print(
                f"dispute #{d.id} contested; evidence due {d.evidence_due_at:%Y-%m-%d %H:%M} UTC"
                if d.evidence_due_at
                else f"dispute #{d.id} contested"
            )

    @disputes.command("note")
    def note(dispute_id: int = typer.Argument(...), body: str = typer.Argument(...)) -> None:
        """Keep a note on the dispute."""
        with cli_session() as session:
            made = actions.add_dispute_note(session, dispute_id=dispute_id, actor=CLI, body=body)
            session.commit()
            console.print(f"note #{made.id} kept on dispute #{dispute_id}")
