"""``storeguard cases ...``: the inbox by time left, one case, a conduct check, and the detection's quality."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from storeguard.cases import actions, conduct_actions, service, settings_actions
from storeguard.cases.conduct import detector
from storeguard.cases.evaluation import below_target, evaluate, load_labelled
from storeguard.cases.inbound import parse_mail
from storeguard.core.actor import CLI
from storeguard.core.clock import now
from storeguard.core.console import cli_session, console
from storeguard.shops.service import first_shop, get_shop_by_domain

DATA = Path("bench/conduct")
RESULTS = Path("bench/results/conduct_quality.json")


def register(app: typer.Typer) -> None:
    """Add the ``cases`` commands to the root app."""
    cases = typer.Typer(help="Customer conversations and conduct incidents.", no_args_is_help=True)
    app.add_typer(cases, name="cases")

    @cases.command("list")
    def list_cases(legal: bool = typer.Option(False, "--legal", help="Only the legal queue.")) -> None:
        """Open cases, the one due soonest first."""
        at = now()
        with cli_session() as session:
            rows = service.list_cases(session, queue="legal" if legal else None)
            table = Table(
                "id",
                "customer",
                "subject",
                "status",
                "priority",
                "time left",
                title=f"{len(rows)} open case(s)",
            )
            for case in rows:
                clock = service.clock_of(case, at)
                left = "—" if clock.left is None else f"{int(clock.left.total_seconds() // 60)} min"
                table.add_row(
                    str(case.id),
                    case.customer_email or "—",
                    case.subject[:50],
                    str(case.status),
                    str(case.priority) + (" (urgent)" if case.urgent else ""),
                    left + (" BREACHED" if clock.breached else ""),
                )
        console.print(table)

    @cases.command("show")
    def show(case_id: int) -> None:
        """A case and its whole log."""
        with cli_session() as session:
            case = service.get_case(session, case_id)
            console.print(f"[bold]Case {case.id}[/bold] {case.subject} · {case.status} · {case.queue}")
            for entry in case.entries:
                console.print(
                    f"[dim]{entry.created_at:%Y-%m-%d %H:%M} {entry.kind} {entry.channel} {entry.author}[/dim]"
                )
                console.print(entry.body)
            for incident in service.incidents_of_case(session, case.id):
                terms = ", ".join(t["term"] for t in incident.triggers)
                console.print(
                    f"incident {incident.id}: {incident.category} ({terms}) → {incident.outcome}, {incident.status}"
                )

    @cases.command("check")
    def check(
        text: str, language: str = typer.Option(None, help="en, nb, he or zh; told from the text if left out")
    ) -> None:
        """Check a text for abuse and threats; nothing is stored."""
        finding = conduct_actions.check_text(text, language=language)
        console.print_json(json.dumps(finding.as_dict(), ensure_ascii=False))

    @cases.command("evaluate")
    def evaluate_command(
        data: Path = typer.Option(DATA, help="Folder with dev.jsonl and heldout.jsonl"),
        out: Path = typer.Option(RESULTS, help="Where the figures are written"),
    ) -> None:
        """Precision and recall of conduct detection per category and language, on the labelled set."""
        found = detector()
        report = {part: evaluate(found, load_labelled(data / f"{part}.jsonl")) for part in ("dev", "heldout")}
        table = Table("set", "category", "language", "precision", "recall", "tp", "fp", "fn")
        for part, figures in report.items():
            for category, languages in figures["by_category"].items():
                for lang, cell in languages.items():
                    table.add_row(
                        part,
                        category,
                        lang,
                        str(cell["precision"]),
                        str(cell["recall"]),
                        str(cell["tp"]),
                        str(cell["fp"]),
                        str(cell["fn"]),
                    )
        console.print(table)
        for part, figures in report.items():
            console.print(
                f"{part}: {figures['messages']} messages, language right {figures['language_accuracy']}, "
                f"median {figures['median_ms']} ms per message"
            )
            for short in below_target(figures):
                console.print(f"[red]{part}: below target: {short}[/red]")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", "utf-8")
        console.print(f"written to {out}")

    @cases.command("targets")
    def targets(
        shop: int = typer.Option(..., help="The shop's id"),
        first_answer_minutes: int = typer.Option(60, help="First answer within this many minutes"),
        resolution_hours: int = typer.Option(48, help="Resolved within this many hours"),
    ) -> None:
        """Set the shop's service targets."""
        with cli_session() as session:
            value = settings_actions.set_service_targets(
                session,
                shop_id=shop,
                actor=CLI,
                first_answer_minutes=first_answer_minutes,
                resolution_hours=resolution_hours,
            )
            session.commit()
        console.print(value)

    @cases.command("policy")
    def conduct_policy(
        shop: int = typer.Option(..., help="The shop's id"),
        on_repeat: str = typer.Option("propose_block", help="propose_block or block"),
        window_days: int = typer.Option(
            90, help="A second abusive message within this many days is a repeat"
        ),
        legal_hold: bool = typer.Option(True, help="Hold the customer's records on a legal threat"),
    ) -> None:
        """Set the shop's conduct policy."""
        with cli_session() as session:
            value = settings_actions.set_conduct_policy(
                session,
                shop_id=shop,
                actor=CLI,
                on_repeat=on_repeat,
                repeat_window_days=window_days,
                legal_hold=legal_hold,
            )
            session.commit()
        console.print(value)

    @cases.command("lexicon")
    def lexicon(
        language: str,
        category: str,
        shop: int = typer.Option(..., help="The shop's id"),
        add: list[str] = typer.Option([], help="A word or phrase to look for (term* may go on)"),
        remove: list[str] = typer.Option([], help="A shipped word or phrase to stop looking for"),
    ) -> None:
        """Edit the shop's lexicon of one language and category (abuse, legal_threat, physical_threat)."""
        with cli_session() as session:
            edits = settings_actions.edit_lexicon(
                session, shop_id=shop, actor=CLI, language=language, category=category, add=add, remove=remove
            )
            session.commit()
        console.print_json(json.dumps(edits, ensure_ascii=False))

    @cases.command("receive")
    def receive(
        path: Path = typer.Argument(..., help="A raw RFC 5322 mail (- reads standard input)"),
        shop: str = typer.Option(None, help="The shop's domain (the only shop when left out)"),
    ) -> None:
        """Take in one mail as the relay would post it (for a mail server that pipes mail to a command)."""
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
        mail = parse_mail(raw)
        with cli_session() as session:
            target = get_shop_by_domain(session, shop) if shop else first_shop(session)
            if target is None:
                raise typer.BadParameter("no such shop", param_hint="--shop")
            case, entry = actions.receive_email(session, shop_id=target.id, mail=mail, actor=CLI)
            incidents = [i for i in service.incidents_of_case(session, case.id) if i.entry_id == entry.id]
            session.commit()
            console.print(f"case {case.id}, entry {entry.id}")
            for incident in incidents:
                terms = ", ".join(t["term"] for t in incident.triggers)
                console.print(f"incident {incident.id}: {incident.category} ({terms}) → {incident.outcome}")
