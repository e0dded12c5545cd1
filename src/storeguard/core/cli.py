"""Core commands: serve, migrate, apikey."""

from __future__ import annotations

import typer
import uvicorn
from rich.table import Table

from storeguard.core.actor import CLI
from storeguard.core.apikeys import KEY_PREFIX, create_api_key, list_api_keys, revoke_api_key
from storeguard.core.audit import verify_chains
from storeguard.core.console import cli_session, console
from storeguard.core.enums import Role
from storeguard.core.migrations import upgrade_to_head


def register(app: typer.Typer) -> None:
    """Add the core commands to the root app."""
    apikey = typer.Typer(help="Create and revoke API keys.", no_args_is_help=True)
    app.add_typer(apikey, name="apikey")
    audit = typer.Typer(help="Check the audit log.", no_args_is_help=True)
    app.add_typer(audit, name="audit")

    @audit.command("verify")
    def audit_verify(
        shop: int | None = typer.Option(None, "--shop", help="Only this shop's chain (its id)."),
    ) -> None:
        """Recompute every audit chain's hashes; name the first changed or missing event. Exit 1 if any."""

        with cli_session() as session:
            reports = verify_chains(session, shop_id=shop)
        table = Table("chain", "events checked", "result", title="audit log")
        for r in reports:
            verdict = (
                "[green]whole[/green]"
                if r.whole
                else f"[red]broken at event #{r.broken_event_id} (position {r.broken_seq}): {r.problem}[/red]"
            )
            table.add_row(r.chain, str(r.events), verdict)
        console.print(table)
        broken = [r for r in reports if not r.whole]
        for r in broken:
            console.print(
                f"chain {r.chain}: broken at event #{r.broken_event_id} (position {r.broken_seq}): {r.problem}",
                soft_wrap=True,
            )
        if broken:
            raise typer.Exit(1)

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
        workers: int = typer.Option(1, help="Worker processes."),
    ) -> None:
        """Serve the JSON API, with its docs at /docs."""

        uvicorn.run("storeguard.app:create_app", factory=True, host=host, port=port, workers=workers)

    @app.command()
    def migrate() -> None:
        """Bring the database schema up to date (Alembic upgrade head)."""

        upgrade_to_head()
        console.print("database is up to date")

    @apikey.command("create")
    def apikey_create(
        name: str = typer.Option(..., help="Who or what uses the key."),
        role: Role = typer.Option(Role.agent, help="owner, admin, agent or viewer."),
    ) -> None:
        """Create a key; the key is printed once, alone on the last line, and only its hash is kept."""

        with cli_session() as session:
            key, raw = create_api_key(session, name=name, role=role, actor=CLI)
            session.commit()
            console.print(f"created API key #{key.id} '{key.name}' with role {key.role}")
        print(raw)

    @apikey.command("list")
    def apikey_list(
        all_keys: bool = typer.Option(False, "--all", help="Include revoked keys."),
    ) -> None:
        """List the keys: id, name, role, the key's first characters, when made and whether revoked."""
        with cli_session() as session:
            keys = list_api_keys(session, include_revoked=all_keys)
        table = Table(
            "id", "name", "role", "starts with", "created", "revoked", title=f"{len(keys)} API key(s)"
        )
        for key in keys:
            revoked = f"{key.revoked_at:%Y-%m-%d %H:%M} UTC" if key.revoked_at else "-"
            table.add_row(
                str(key.id),
                key.name,
                key.role,
                f"{KEY_PREFIX}{key.prefix}…",
                f"{key.created_at:%Y-%m-%d %H:%M} UTC",
                revoked,
            )
        console.print(table)

    @apikey.command("revoke")
    def apikey_revoke(key_id: int = typer.Argument(..., help="The key's id.")) -> None:
        """Revoke a key."""

        with cli_session() as session:
            revoke_api_key(session, key_id=key_id, actor=CLI)
            session.commit()
            console.print(f"revoked API key #{key_id}")
