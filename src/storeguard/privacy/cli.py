"""``storeguard privacy export``: a customer's data as JSON, to a file or standard output."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from storeguard.core.actor import CLI
from storeguard.core.console import cli_session, console
from storeguard.privacy.actions import erase_customer, export_customer
from storeguard.privacy.retention import apply_retention

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

    @privacy.command("retain")
    def retain(
        dry_run: bool = typer.Option(False, "--dry-run", help="Only list what the limits make due."),
        shop: int | None = typer.Option(None, "--shop", help="Only this shop (its id)."),
    ) -> None:
        """Erase or hash what the shops' retention limits make due (the background work does it hourly)."""
        with cli_session() as session:
            report = apply_retention(session, actor=CLI, dry_run=dry_run, shop_id=shop)
            session.commit()
        report.remove_files()
        verb = "would erase" if dry_run else "erased"
        for item in report.items:
            console.print(f"shop {item.shop_id}: {verb} {item.kind.replace('_', ' ')} #{item.ref_id}")
        if report.skipped_without_key:
            console.print(f"{report.skipped_without_key} ended blocks' identifiers left: no erasure key set")
        console.print(f"{len(report.items)} {'due' if dry_run else 'done'}")
