"""``storeguard appeals ...``: the queue by target time, one appeal, and the decision.

The command line acts as the operator (an owner): deciding an appeal against a block the operator
made asks for ``--override-reason``, as the pages ask an owner.
"""

from __future__ import annotations

import typer
from rich.table import Table

from storeguard.appeals import actions, service
from storeguard.appeals.enums import AppealCondition, AppealDecision, AppealStatus
from storeguard.appeals.policy import is_overdue
from storeguard.core.actor import CLI
from storeguard.core.clock import now
from storeguard.core.console import cli_session, console


def register(app: typer.Typer) -> None:
    """Add the ``appeals`` commands to the root app."""
    appeals = typer.Typer(help="Review blocked customers' appeals.", no_args_is_help=True)
    app.add_typer(appeals, name="appeals")

    @appeals.command("list")
    def list_appeals(
        status: AppealStatus = typer.Option(AppealStatus.open, help="Which appeals."),
        limit: int = typer.Option(50, min=1, max=500),
    ) -> None:
        """The queue: the soonest target time first."""
        with cli_session() as session:
            rows, total = service.list_appeals(session, status=status, limit=limit)
        at = now()
        table = Table("id", "customer", "block", "sent", "answer by", "status", title=f"{total} appeal(s)")
        for a in rows:
            due = f"{a.answer_by:%Y-%m-%d %H:%M}" + (
                " PAST DUE" if is_overdue(a.status, a.answer_by, at) else ""
            )
            table.add_row(
                str(a.id),
                str(a.customer_id),
                str(a.block_id),
                f"{a.submitted_at:%Y-%m-%d %H:%M}",
                due,
                a.status,
            )
        console.print(table)

    @appeals.command("show")
    def show(appeal_id: int = typer.Argument(...)) -> None:
        """One appeal: the customer's words, their files, and the decision if made."""
        with cli_session() as session:
            a = service.get_appeal(session, appeal_id)
            console.print(
                f"appeal #{a.id} against block #{a.block_id} of customer #{a.customer_id}: {a.status}"
            )
            console.print(
                f"sent {a.submitted_at:%Y-%m-%d %H:%M} UTC, answer by {a.answer_by:%Y-%m-%d %H:%M} UTC"
            )
            console.print(a.message, highlight=False, markup=False)
            for f in a.attachments:
                console.print(f"  file #{f.id} {f.filename} ({f.content_type}, {f.size} bytes)", markup=False)
            if a.decided_at:
                console.print(
                    f"decided {a.decided_at:%Y-%m-%d %H:%M} UTC by {a.decided_by}: {a.decision_note or ''}"
                )

    @appeals.command("decide")
    def decide(
        appeal_id: int = typer.Argument(...),
        decision: AppealDecision = typer.Argument(..., help="uphold, lift or lift_with_conditions"),
        note: str | None = typer.Option(None, help="Words for the customer, sent by mail."),
        condition: AppealCondition | None = typer.Option(None, help="With lift_with_conditions."),
        override_reason: str | None = typer.Option(None, help="Why the operator decides a block they made."),
    ) -> None:
        """Uphold or lift the block; the customer is told by mail in their language."""
        with cli_session() as session:
            a = actions.decide_appeal(
                session,
                appeal_id=appeal_id,
                actor=CLI,
                decision=decision,
                note=note,
                condition=condition,
                override_reason=override_reason,
            )
            session.commit()
            console.print(f"appeal #{a.id} decided: {a.status}")
