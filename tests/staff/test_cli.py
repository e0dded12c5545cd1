"""``storeguard users``: a generated password is printed once; deactivation and resets end sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.cli import app
from storeguard.staff import actions
from storeguard.staff.models import StaffUser

runner = CliRunner()


def _users(engine) -> list[tuple[str, str, str, str, bool]]:
    with Session(engine) as session:
        return [
            (u.email, u.name, u.role, u.locale, u.active)
            for u in session.scalars(select(StaffUser).order_by(StaffUser.id))
        ]


def _logs_in(engine, email: str, password: str) -> bool:
    with Session(engine) as session:
        outcome = actions.log_in(session, email=email, password=password, lifetime=timedelta(hours=1))
        session.commit()
    return outcome.refusal is None


def test_users_create_without_a_password_prints_a_generated_one_last_that_logs_in(cli_db):
    made = runner.invoke(
        app, ["users", "create", "--email", "Kari@Example.com", "--name", "Kari Nordmann", "--role", "agent"]
    )

    assert made.exit_code == 0, made.output
    password = made.output.strip().splitlines()[-1]
    assert len(password) == 16
    assert _users(cli_db) == [("kari@example.com", "Kari Nordmann", "agent", "en", True)]
    assert _logs_in(cli_db, "kari@example.com", password)


def test_users_create_with_a_password_and_locale_prints_no_password(cli_db):
    made = runner.invoke(
        app,
        ["users", "create", "--email", "ola@example.com", "--name", "Ola", "--role", "viewer"]
        + ["--password", "ola's long password", "--locale", "nb"],
    )

    assert made.exit_code == 0, made.output
    assert "ola's long password" not in made.output
    assert _users(cli_db) == [("ola@example.com", "Ola", "viewer", "nb", True)]
    assert _logs_in(cli_db, "ola@example.com", "ola's long password")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--email", "nope", "--name", "N", "--role", "agent"], "invalid_email"),
        (
            ["--email", "n@example.com", "--name", "N", "--role", "agent", "--password", "short"],
            "weak_password",
        ),
    ],
)
def test_users_create_refuses_bad_input_with_exit_code_2_and_creates_nobody(cli_db, args, code):
    made = runner.invoke(app, ["users", "create", *args])

    assert made.exit_code == 2
    assert code in made.output
    assert _users(cli_db) == []


def test_users_list_shows_active_users_and_all_with_all(cli_db):
    for email in ("kari@example.com", "ola@example.com"):
        runner.invoke(app, ["users", "create", "--email", email, "--name", "N", "--role", "agent"])
    runner.invoke(app, ["users", "deactivate", "ola@example.com"])

    active = runner.invoke(app, ["users", "list"], terminal_width=200)
    everyone = runner.invoke(app, ["users", "list", "--all"], terminal_width=200)

    assert ("1 staff user(s)" in active.output, "ola@example.com" in active.output) == (True, False)
    assert ("2 staff user(s)" in everyone.output, "deactivated" in everyone.output) == (True, True)


def test_users_deactivate_stops_the_user_logging_in(cli_db):
    runner.invoke(
        app,
        ["users", "create", "--email", "kari@example.com", "--name", "K", "--role", "agent"]
        + ["--password", "kari's long password"],
    )

    done = runner.invoke(app, ["users", "deactivate", "kari@example.com"])

    assert done.exit_code == 0, done.output
    assert _users(cli_db)[0][4] is False
    assert not _logs_in(cli_db, "kari@example.com", "kari's long password")


def test_users_reset_password_prints_a_new_one_that_replaces_the_old(cli_db):
    runner.invoke(
        app,
        ["users", "create", "--email", "kari@example.com", "--name", "K", "--role", "agent"]
        + ["--password", "kari's long password"],
    )

    reset = runner.invoke(app, ["users", "reset-password", "kari@example.com"])

    assert reset.exit_code == 0, reset.output
    new = reset.output.strip().splitlines()[-1]
    assert not _logs_in(cli_db, "kari@example.com", "kari's long password")
    assert _logs_in(cli_db, "kari@example.com", new)


def test_users_deactivate_names_an_unknown_user_with_exit_code_2(cli_db):
    done = runner.invoke(app, ["users", "deactivate", "nobody@example.com"])

    assert done.exit_code == 2
    assert "staff_user_not_found" in done.output


def test_users_set_role_gives_a_user_another_role(cli_db):
    runner.invoke(
        app,
        ["users", "create", "--email", "kari@example.com", "--name", "K", "--role", "agent"]
        + ["--password", "kari's long password"],
    )

    done = runner.invoke(app, ["users", "set-role", "kari@example.com", "viewer"])

    assert done.exit_code == 0, done.output
    assert "now has role viewer" in done.output
    assert _users(cli_db)[0][2] == "viewer"
