"""``storeguard privacy export``: a customer's data as JSON, to a file or standard output."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from storeguard.core.actor import CLI
from storeguard.core.console import cli_session, console
from storeguard.privacy.actions import erase_customer, export_customer

privacy = typer.Typer(
    help="Answer data-protection requests: export or erase a customer's data.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the privacy commands to the root app."""
    app.add_typer(privacy, name="privacy")

    @privacy.command("export")
    def export(
        customer_id: int = typer.Argument(..., help="The customer's id."),
        out: Path | None = typer.Option(
            None, "--out", help="Write the JSON here instead of to standard output."
        ),
    ) -> None:
        """Everything held about a customer, as JSON; the export is recorded in the audit log."""
        with cli_session() as session:
            data = export_customer(session, customer_id=customer_id, actor=CLI)
            session.commit()
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text, encoding="utf-8")
            console.print(f"wrote customer #{customer_id}'s data to {out}")

    @privacy.command("erase")
    def erase(
        customer_id: int = typer.Argument(..., help="The customer's id."),
        reason: str = typer.Option(..., "--reason", help="Why: the person's request, its date or reference."),
    ) -> None:
        """Erase a customer's personal data everywhere; a block still stops them by keyed hashes."""
        with cli_session() as session:
            result = erase_customer(session, customer_id=customer_id, actor=CLI, reason=reason)
            session.commit()
        result.remove_files()
        changed = ", ".join(f"{name} {count}" for name, count in result.counts.items() if count)
        console.print(
            f"erased customer #{customer_id}'s personal data ({changed}); "
            f"{result.redacted_audit_events} audit events redacted"
        )
