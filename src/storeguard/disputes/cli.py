"""``storeguard disputes ...``: the inbox by deadline, one dispute, and the merchant's answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from storeguard.core.actor import CLI
from storeguard.core.clock import now
from storeguard.core.console import cli_session, console
from storeguard.core.money import to_decimal_str
from storeguard.disputes import actions, service
from storeguard.disputes.evidence import build_evidence_pack
from storeguard.disputes.fields import field_map, over_limits
from storeguard.disputes.pdf import render_pack_pdf
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

    @disputes.command("enter")
    def enter(
        order_id: int = typer.Option(..., "--order", help="The order's id in storeguard."),
        amount: int = typer.Option(..., help="Disputed amount, minor units."),
        currency: str = typer.Option(...),
        reason: str = typer.Option(..., help="fraud, not_received, not_as_described, duplicate, ..., other"),
        due: datetime | None = typer.Option(None, help="When the answer is due, UTC (YYYY-MM-DDTHH:MM)."),
        gateway: str = typer.Option("manual"),
        reference: str | None = typer.Option(None, help="The gateway's or bank's reference."),
        note: str | None = typer.Option(None),
    ) -> None:
        """Enter a dispute by hand, on its order (a bank's letter, a gateway not wired)."""
        with cli_session() as session:
            d = actions.enter_dispute(
                session,
                actor=CLI,
                order_id=order_id,
                amount=amount,
                currency=currency,
                reason=reason,
                evidence_due_at=due.replace(tzinfo=UTC) if due is not None and due.tzinfo is None else due,
                gateway=gateway,
                gateway_dispute_id=reference,
                note=note,
            )
            session.commit()
            console.print(f"dispute #{d.id} entered on order #{d.order_id}")

    @disputes.command("escalate")
    def escalate(
        dispute_id: int = typer.Argument(...),
        kind: str = typer.Option(..., help="mediation or arbitration"),
        note: str | None = typer.Option(None, help="Why; kept with the dispute."),
    ) -> None:
        """Mark a dispute for mediation or arbitration."""
        with cli_session() as session:
            d = actions.escalate_dispute(session, dispute_id=dispute_id, actor=CLI, kind=kind, note=note)
            session.commit()
            console.print(f"dispute #{d.id} marked for {d.escalation}")

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

    @disputes.command("evidence")
    def evidence(
        dispute_id: int = typer.Argument(...),
        pdf: Path | None = typer.Option(None, help="Write the evidence pack PDF to this file."),
        letter: Path | None = typer.Option(
            None, exists=True, dir_okay=False, help="Use this file as the letter."
        ),
        language: str | None = typer.Option(None, help="The letter's language: en, nb, he or zh."),
        leave_out: list[str] = typer.Option([], help="An evidence item to leave out (repeatable)."),
    ) -> None:
        """Show the evidence pack and the gateway's fields; edit the letter; write the PDF."""
        with cli_session() as session:
            if letter is not None or language is not None or leave_out:
                actions.save_evidence(
                    session,
                    dispute_id=dispute_id,
                    actor=CLI,
                    letter=letter.read_text(encoding="utf-8") if letter else None,
                    language=language,
                    excluded=leave_out or None,
                )
                session.commit()
            dispute = service.get_dispute(session, dispute_id)
            pack = build_evidence_pack(session, dispute)
            fields = field_map(pack)
            console.print(f"[bold]items[/bold]: {', '.join(i.value for i in pack.present())}")
            for p in pack.compelling:
                console.print(f"CE3.0: {p.number} {p.placed_at:%Y-%m-%d} shares {', '.join(p.shared)}")
            console.print(pack.letter)
            console.print_json(json.dumps(fields, ensure_ascii=False))
            for problem in over_limits(pack.gateway, fields, sum(f["size"] for f in pack.files)):
                console.print(f"[red]over the limit[/red]: {problem}")
            if pdf is not None:
                pdf.write_bytes(render_pack_pdf(pack, files=service.file_bytes(session, dispute.id)))
                console.print(f"PDF written to {pdf}")

    @disputes.command("add-file")
    def add_file(
        dispute_id: int = typer.Argument(...), path: Path = typer.Argument(..., exists=True, dir_okay=False)
    ) -> None:
        """Add a PDF or image to the evidence."""
        with cli_session() as session:
            added = actions.add_dispute_file(
                session, dispute_id=dispute_id, actor=CLI, filename=path.name, data=path.read_bytes()
            )
            session.commit()
            console.print(f"file #{added.id} ({added.content_type}) added to dispute #{dispute_id}")

    @disputes.command("submit")
    def submit(dispute_id: int = typer.Argument(...)) -> None:
        """Send the evidence to the gateway (Stripe, Shopify Payments), once, before the deadline."""
        with cli_session() as session:
            d = actions.submit_evidence(session, dispute_id=dispute_id, actor=CLI)
            session.commit()
            console.print(f"dispute #{d.id}: evidence queued for {d.gateway} ({', '.join(d.evidence_used)})")
