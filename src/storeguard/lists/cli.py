"""``storeguard block``, ``storeguard unblock`` and ``storeguard lists add/import/export``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from storeguard.core.actor import CLI
from storeguard.core.console import cli_session, console, err_console
from storeguard.lists.actions import create_entry
from storeguard.lists.blocking import appeal_url, block_customer, lift_block
from storeguard.lists.csvio import export_entries, import_entries, read_csv


def register(app: typer.Typer) -> None:
    """Add the list and blocking commands to the root app."""
    lists = typer.Typer(help="Block and allow lists: add, import, export.", no_args_is_help=True)
    app.add_typer(lists, name="lists")

    @app.command("block")
    def block(
        customer_id: int = typer.Argument(..., help="The customer to block."),
        reason: str = typer.Option(..., "--reason", help="A reason code from the shop's list."),
        order: list[int] = typer.Option([], "--order", help="An order that is evidence (repeat for more)."),
        note: list[str] = typer.Option([], "--note", help="A note that is evidence (repeat for more)."),
        justification: str = typer.Option(None, help="Why there is no evidence (owners only)."),
        action: str = typer.Option("block", help="block, verify or review."),
        disable_account: bool = typer.Option(False, "--disable-account", help="Also disable the account."),
        customer_only: bool = typer.Option(False, "--customer-only", help="Do not block their identifiers."),
        notify: bool = typer.Option(True, "--notify/--no-notify", help="Queue the notice to the customer."),
    ) -> None:
        """Block a customer and, by default, their own identifiers; the notice goes to the outbox."""

        with cli_session() as session:
            result = block_customer(
                session,
                customer_id=customer_id,
                actor=CLI,
                reason_code=reason,
                evidence={"order_ids": order, "notes": note},
                justification=justification,
                action=action,
                block_identifiers=not customer_only,
                disable_account=disable_account,
                notify=notify,
            )
            session.commit()
            console.print(
                f"blocked customer #{customer_id} (block {result.id}, {result.reason_code}); "
                f"appeal link {appeal_url(result)}"
            )

    @app.command("unblock")
    def unblock(
        customer_id: int = typer.Argument(..., help="The customer to unblock."),
        reason: str = typer.Option(..., "--reason", help="Why the block is lifted."),
        keep_disabled: bool = typer.Option(False, "--keep-disabled", help="Leave the account disabled."),
    ) -> None:
        """Lift a customer's block; the history stays."""

        with cli_session() as session:
            result = lift_block(
                session, customer_id=customer_id, actor=CLI, reason=reason, enable_account=not keep_disabled
            )
            session.commit()
            console.print(f"lifted block {result.id} of customer #{customer_id}")

    @lists.command("add")
    def add(
        type_: str = typer.Argument(
            ..., metavar="TYPE", help="email, email_domain, phone, ip, cidr, country, customer, ..."
        ),
        value: str = typer.Argument(..., help="What the entry is on, as written (it is normalized)."),
        shop_id: int = typer.Option(None, "--shop", help="The shop (optional when there is one)."),
        kind: str = typer.Option("block", help="block or allow."),
        action: str = typer.Option("block", help="For a block: block, verify or review."),
        reason: str = typer.Option(None, "--reason", help="A reason code from the shop's list."),
        order: list[int] = typer.Option([], "--order", help="An order that is evidence (repeat for more)."),
        note: list[str] = typer.Option([], "--note", help="A note that is evidence (repeat for more)."),
        justification: str = typer.Option(None, help="Why there is no evidence (owners only)."),
        confirm_broad: bool = typer.Option(
            False,
            "--confirm-broad",
            help="Confirm an entry that would match nearly every order (0.0.0.0/0, the shop's country, gmail.com).",
        ),
    ) -> None:
        """Add one block or allow entry; a repeat of an active entry is reported, not doubled."""

        with cli_session() as session:
            entry, created = create_entry(
                session,
                shop_id=shop_id,
                kind=kind,
                type=type_,
                value=value,
                action=action if kind == "block" else None,
                reason_code=reason,
                evidence={"order_ids": order, "notes": note},
                note=note[0] if kind == "allow" and note else None,
                justification=justification,
                confirm_broad=confirm_broad,
                actor=CLI,
            )
            session.commit()
            said = "added" if created else "already there as"
            console.print(f"{said} entry {entry.id}: {entry.kind} {entry.type} {entry.value}")

    @lists.command("import")
    def import_(
        file: Path = typer.Argument(
            ..., exists=True, dir_okay=False, help="CSV with at least type and value."
        ),
        shop_id: int = typer.Option(None, "--shop", help="The shop (optional when there is one)."),
        note: str = typer.Option(None, help="Evidence note for rows that carry none."),
        workers: int = typer.Option(
            1, min=1, help="Processes that normalize rows (more helps only on idle cores)."
        ),
    ) -> None:
        """Import entries from CSV; repeats are skipped, and any bad row cancels the whole import."""

        with (
            cli_session() as session,
            file.open(newline="", encoding="utf-8-sig") as stream,
            Progress(
                TextColumn("importing"),
                BarColumn(),
                TextColumn("{task.completed:,} rows"),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            ) as bar,
        ):
            task = bar.add_task("import", total=None)
            result = import_entries(
                session,
                read_csv(stream),
                shop_id=shop_id,
                actor=CLI,
                note=note,
                source=file.name,
                workers=workers,
                progress=lambda n: bar.update(task, completed=n),
            )
            if result.errors:
                session.rollback()
                for row, field, message in result.errors:
                    err_console.print(f"[red]row {row}[/red] {field or ''}: {message}")
                err_console.print("nothing was imported")
                raise typer.Exit(2)
            session.commit()
        console.print(
            f"{result.rows:,} rows: {result.created:,} entries created, {result.duplicates:,} already there"
        )

    @lists.command("export")
    def export(
        shop_id: int = typer.Option(None, "--shop", help="The shop (optional when there is one)."),
        status: str = typer.Option(None, help="Only entries with this status (active, expired, lifted)."),
        output: Path = typer.Option(None, "--output", "-o", help="Write here instead of standard output."),
    ) -> None:
        """Export entries as CSV (the import's columns plus ids and state)."""

        with cli_session() as session:
            if output:
                with output.open("w", newline="", encoding="utf-8") as out:
                    count = export_entries(session, out, shop_id=shop_id, status=status)
            else:
                count = export_entries(session, sys.stdout, shop_id=shop_id, status=status)
        err_console.print(f"exported {count:,} entries")
