"""``storeguard users``: create, list, deactivate staff users, change their role, reset their passwords."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from storeguard.core.actor import CLI
from storeguard.core.clock import now
from storeguard.core.console import cli_session, console
from storeguard.core.enums import Language, Role
from storeguard.staff import actions, passwords, policy
from storeguard.staff.models import StaffUser
from storeguard.staff.service import list_staff_users

users_app = typer.Typer(help="Staff users who log in to the admin pages.", no_args_is_help=True)


@users_app.command("create")
def create(
    email: str = typer.Option(..., help="The address the person logs in with."),
    name: str = typer.Option(..., help="Their name as colleagues know it."),
    role: Role = typer.Option(..., help="owner, admin, agent or viewer (the same roles as API keys)."),
    password: str | None = typer.Option(
        None, help="Their password (10 characters or more); omit it to have one generated and printed once."
    ),
    locale: Language = typer.Option(Language.en, help="The language of their pages: en, nb, he or zh."),
) -> None:
    """Create a staff user; a generated password is printed once, alone on the last line."""

    chosen = password if password is not None else passwords.generate_password()
    with cli_session() as session:
        user = actions.create_staff_user(
            session, email=email, name=name, role=role, password=chosen, locale=locale, actor=CLI
        )
        session.commit()
        console.print(f"created staff user #{user.id} {user.email} ({user.name}) with role {user.role}")
    if password is None:
        console.print("their password, shown this once:")
        print(chosen)


@users_app.command("list")
def list_users(
    all_users: bool = typer.Option(False, "--all", help="Include deactivated users."),
) -> None:
    """List staff users: email, name, role, language, whether active or locked, last login."""

    with cli_session() as session:
        users = list_staff_users(session, include_inactive=all_users)
    at = now()
    table = Table(
        "id", "email", "name", "role", "language", "state", "last login", title=f"{len(users)} staff user(s)"
    )
    for user in users:
        last = f"{user.last_login_at:%Y-%m-%d %H:%M} UTC" if user.last_login_at else "-"
        table.add_row(str(user.id), user.email, user.name, user.role, user.locale, _state(user, at), last)
    console.print(table)


@users_app.command("deactivate")
def deactivate(email: str = typer.Argument(..., help="The user's email.")) -> None:
    """Stop a user from logging in; every session they have ends at once."""

    with cli_session() as session:
        user = actions.deactivate_staff_user(session, email=email, actor=CLI)
        session.commit()
        console.print(f"deactivated staff user #{user.id} {user.email}")


@users_app.command("set-role")
def set_role(
    email: str = typer.Argument(..., help="The user's email."),
    role: Role = typer.Argument(..., help="owner, admin, agent or viewer."),
) -> None:
    """Give a user another role; the last active owner keeps theirs."""

    with cli_session() as session:
        user = actions.change_staff_role(session, email=email, role=role, actor=CLI)
        session.commit()
        console.print(f"staff user #{user.id} {user.email} now has role {user.role}")


@users_app.command("reset-password")
def reset_password(
    email: str = typer.Argument(..., help="The user's email."),
    password: str | None = typer.Option(None, help="The new password; omit it to have one generated."),
) -> None:
    """Set a new password (printed once when generated), lift a lock, and end the user's sessions."""

    chosen = password if password is not None else passwords.generate_password()
    with cli_session() as session:
        user = actions.reset_password(session, email=email, password=chosen, actor=CLI)
        session.commit()
        console.print(f"reset the password of staff user #{user.id} {user.email}; their sessions ended")
    if password is None:
        console.print("the new password, shown this once:")
        print(chosen)


def _state(user: StaffUser, at: datetime) -> str:
    if not user.active:
        return "deactivated"
    if policy.is_locked(user.locked_until, at):
        return f"locked until {user.locked_until:%Y-%m-%d %H:%M} UTC"
    return "active"


def register(app: typer.Typer) -> None:
    """Add ``storeguard users`` to the root app."""
    app.add_typer(users_app, name="users")
