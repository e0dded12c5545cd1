"""``storeguard policies ...``: publish a policy version and list the versions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from storeguard.core.actor import CLI
from storeguard.core.console import cli_session, console
from storeguard.policies import actions, service
from storeguard.policies.enums import PolicyKind


def register(app: typer.Typer) -> None:
    """Add the ``policies`` commands to the root app."""
    policies = typer.Typer(help="Refund, return and cancellation policies, by version.", no_args_is_help=True)
    app.add_typer(policies, name="policies")

    @policies.command("publish")
    def publish(
        shop_id: int = typer.Argument(..., min=1),
        kind: PolicyKind = typer.Argument(...),
        text: Path = typer.Argument(..., exists=True, dir_okay=False, help="A file with the policy text."),
        title: str = typer.Option("", help="The title customers see (the kind by default)."),
        language: str = typer.Option("en"),
        effective_from: datetime | None = typer.Option(None, help="UTC; now when left out."),
    ) -> None:
        """Publish the next version of a policy from a text file."""
        with cli_session() as session:
            version = actions.publish_policy_version(
                session,
                shop_id=shop_id,
                kind=kind,
                title=title or f"{kind.value.capitalize()} policy",
                body=text.read_text(encoding="utf-8"),
                language=language,
                effective_from=effective_from.replace(tzinfo=UTC) if effective_from else None,
                actor=CLI,
            )
            session.commit()
            console.print(
                f"{kind.value} policy version {version.version} in effect from {version.effective_from:%Y-%m-%d %H:%M} UTC"
            )

    @policies.command("list")
    def list_versions(shop_id: int | None = typer.Option(None, min=1)) -> None:
        """Every version, newest first."""
        with cli_session() as session:
            rows = service.list_policy_versions(session, shop_id=shop_id)
            table = Table(
                "shop", "kind", "version", "title", "in effect from", title=f"{len(rows)} version(s)"
            )
            for v in rows:
                table.add_row(
                    str(v.shop_id), v.kind, str(v.version), v.title, f"{v.effective_from:%Y-%m-%d %H:%M}"
                )
        console.print(table)
