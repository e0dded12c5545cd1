"""The ``storeguard`` command: each package adds its commands through ``register(app)``."""

from __future__ import annotations

import sys

import typer

from storeguard.analytics import cli as analytics_cli
from storeguard.appeals import cli as appeals_cli
from storeguard.cases import cli as cases_cli
from storeguard.core import cli as core_cli
from storeguard.customers import cli as customers_cli
from storeguard.demo import cli as demo_cli
from storeguard.disputes import cli as disputes_cli
from storeguard.integrations import cli as integrations_cli
from storeguard.integrations.events import cli as events_cli
from storeguard.lists import cli as lists_cli
from storeguard.models import import_all_models
from storeguard.orders import cli as orders_cli
from storeguard.policies import cli as policies_cli
from storeguard.privacy import cli as privacy_cli
from storeguard.returns import cli as returns_cli
from storeguard.risk import cli as risk_cli
from storeguard.rules import cli as rules_cli
from storeguard.screening import cli as screening_cli
from storeguard.shops import cli as shops_cli
from storeguard.staff import cli as staff_cli

app = typer.Typer(
    help="storeguard: screen orders, block and unblock difficult customers, keep the record.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
import_all_models()  # every table known before any command touches the database

# In the order `storeguard --help` lists them.
for package in (
    core_cli,
    shops_cli,
    orders_cli,
    returns_cli,
    disputes_cli,
    appeals_cli,
    policies_cli,
    cases_cli,
    customers_cli,
    lists_cli,
    rules_cli,
    screening_cli,
    risk_cli,
    integrations_cli,
    events_cli,
    privacy_cli,
    analytics_cli,
    staff_cli,
    demo_cli,
):
    package.register(app)


def main() -> None:
    """Run the CLI."""
    app(prog_name="storeguard", args=sys.argv[1:])
