"""``storeguard rules ...``: list, add, validate, enable, disable and show merchant rules.

Other domains attach commands to ``rules_app`` (screening adds ``rules backtest``)::

    from storeguard.rules.cli import rules_app

    @rules_app.command("backtest")
    def backtest(...): ...

Typer builds the command tree when the CLI runs, so a command attached in a later domain's
``register`` still shows up under ``storeguard rules``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.table import Table

from storeguard.core.actor import CLI
from storeguard.core.console import cli_session, console, err_console
from storeguard.rules import service
from storeguard.rules.actions import create_rule, update_rule, validate_source
from storeguard.rules.errors import RuleError
from storeguard.rules.nodes import unparse

rules_app = typer.Typer(help="Write, check and switch merchant rules.", no_args_is_help=True)


@contextmanager
def rule_errors() -> Iterator[None]:
    """Show a rule error with its line, column and caret, and exit 2.

    An error whose field is not the rule's ``source`` (one draft of several) names that field first.
    """

    try:
        yield
    except RuleError as exc:
        which = f"{exc.field}: " if exc.field and exc.field != "source" else ""
        # soft_wrap: the caret only lines up if Rich never folds the lines.
        err_console.print(
            f"[red]error[/red] {exc.code}: {which}line {exc.line}, column {exc.column}: {exc.message}",
            soft_wrap=True,
        )
        err_console.print(exc.caret, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@rules_app.command("list")
def list_command(
    shop: int | None = typer.Option(None, help="Only rules that apply to this shop id."),
    all_: bool = typer.Option(False, "--all", help="Include deleted rules."),
) -> None:
    """List rules in evaluation order."""

    with cli_session() as session:
        rows, total = service.list_rules(session, shop_id=shop, include_deleted=all_, limit=500)
        version, _ = service.current_policy(session)
    table = Table("id", "name", "action", "on", "priority", "version", "shop", "source")
    for r in rows:
        state = "deleted" if r.deleted_at else ("yes" if r.enabled else "no")
        table.add_row(
            str(r.id),
            r.name,
            r.action,
            state,
            str(r.priority),
            str(r.version),
            str(r.shop_id or "all"),
            r.source,
        )
    console.print(table)
    console.print(f"{total} rule(s); policy version {version}")


@rules_app.command("add")
def add_command(
    source: str = typer.Argument(..., help='The rule, e.g. "review if order.total > 500".'),
    name: str = typer.Option(..., help="A short name people will recognise."),
    shop: int | None = typer.Option(None, help="The shop id; omit for every shop."),
    priority: int = typer.Option(100, help="Lower numbers are evaluated first."),
    disabled: bool = typer.Option(False, "--disabled", help="Save it switched off."),
) -> None:
    """Check and save a new rule."""

    with cli_session() as session, rule_errors():
        rule = create_rule(
            session,
            name=name,
            source=source,
            shop_id=shop,
            priority=priority,
            enabled=not disabled,
            actor=CLI,
        )
        session.commit()
        console.print(f"created rule #{rule.id} '{rule.name}' ({rule.action}, version 1)")


@rules_app.command("validate")
def validate_command(
    source: str = typer.Argument(..., help="The rule to check."),
    shop: int | None = typer.Option(None, help="Check @lists as this shop sees them."),
) -> None:
    """Check a rule without saving it; exit 2 with the position of the problem if it is wrong."""

    with cli_session() as session, rule_errors():
        compiled = validate_source(session, source, shop)
    console.print(f"ok: {compiled.action} rule using {', '.join(sorted(compiled.fields_used)) or 'no facts'}")
    console.print(unparse(compiled.tree), markup=False, highlight=False, soft_wrap=True)


def _switch(rule_id: int, enabled: bool, reason: str | None) -> None:

    with cli_session() as session:
        rule = update_rule(session, rule_id=rule_id, enabled=enabled, reason=reason, actor=CLI)
        session.commit()
        console.print(f"rule #{rule.id} '{rule.name}' is {'enabled' if rule.enabled else 'disabled'}")


@rules_app.command("enable")
def enable_command(
    rule_id: int = typer.Argument(..., help="The rule's id."),
    reason: str | None = typer.Option(None, help="Why, for the audit log."),
) -> None:
    """Switch a rule on."""
    _switch(rule_id, True, reason)


@rules_app.command("disable")
def disable_command(
    rule_id: int = typer.Argument(..., help="The rule's id."),
    reason: str | None = typer.Option(None, help="Why, for the audit log."),
) -> None:
    """Switch a rule off."""
    _switch(rule_id, False, reason)


@rules_app.command("show")
def show_command(rule_id: int = typer.Argument(..., help="The rule's id.")) -> None:
    """Show a rule and every version of its text."""

    with cli_session() as session:
        rule = service.get_rule(session, rule_id, include_deleted=True)
        versions = service.list_versions(session, rule_id)
    state = "deleted" if rule.deleted_at else ("enabled" if rule.enabled else "disabled")
    console.print(f"rule #{rule.id} '{rule.name}': {rule.action}, {state}, priority {rule.priority}")
    console.print(
        f"shop: {rule.shop_id or 'all shops'}; created by {rule.created_by} at {rule.created_at:%Y-%m-%d %H:%M}Z"
    )
    for v in versions:
        console.print(f"  v{v.version} {v.created_at:%Y-%m-%d %H:%M}Z by {v.created_by}:", highlight=False)
        console.print(f"    {v.source}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``storeguard rules`` to the root app."""
    app.add_typer(rules_app, name="rules")
