"""A shop's own service targets, conduct policy and lexicon edits, and the evaluate command."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.cases import service
from storeguard.cases.actions import receive_email
from storeguard.cases.inbound import parse_mail
from storeguard.cases.settings_actions import edit_lexicon, set_conduct_policy, set_service_targets
from storeguard.cli import app
from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.core.errors import Invalid
from tests.cases.mails import raw_mail
from tests.factories import make_shop
from tests.refusals import row_counts

OWNER = Actor("api_key", "owner-key", Role.owner)
RELAY = Actor("webhook", "mail-relay")


def test_a_shops_targets_set_the_due_times_of_its_new_cases(session: Session, shop) -> None:
    set_service_targets(session, shop_id=shop.id, actor=OWNER, first_answer_minutes=30, resolution_hours=24)

    case, _ = receive_email(session, shop_id=shop.id, mail=parse_mail(raw_mail("Hei")), actor=RELAY)

    assert (case.first_answer_due_at - case.created_at).total_seconds() == 30 * 60
    assert (case.resolution_due_at - case.created_at).total_seconds() == 24 * 3600


def test_a_word_the_merchant_adds_is_detected_in_their_shop(session: Session, shop) -> None:
    edit_lexicon(session, shop_id=shop.id, actor=OWNER, language="nb", category="abuse", add=["fjols"])

    case, _ = receive_email(
        session, shop_id=shop.id, mail=parse_mail(raw_mail("Du er et fjols")), actor=RELAY
    )

    [incident] = service.incidents_of_case(session, case.id)
    assert [t["term"] for t in incident.triggers] == ["fjols"]


def test_a_lexicon_edit_in_an_unknown_language_is_refused_and_nothing_changes(session: Session, shop) -> None:
    before = row_counts(session)

    with pytest.raises(Invalid) as refused:
        edit_lexicon(session, shop_id=shop.id, actor=OWNER, language="sv", category="abuse", add=["dumbom"])

    assert (refused.value.code, refused.value.field) == ("invalid_language", "language")
    assert "conduct_lexicon" not in (shop.settings or {})
    assert row_counts(session) == before


def test_a_conduct_policy_with_an_unknown_step_is_refused(session: Session, shop) -> None:
    with pytest.raises(Invalid) as refused:
        set_conduct_policy(
            session,
            shop_id=shop.id,
            actor=OWNER,
            on_repeat="ban_forever",
            repeat_window_days=30,
            legal_hold=True,
        )

    assert (refused.value.code, refused.value.field) == ("invalid_status", "on_repeat")
    assert "conduct_policy" not in (shop.settings or {})


def test_evaluate_writes_precision_and_recall_per_category_and_language(tmp_path) -> None:
    out = tmp_path / "conduct_quality.json"

    result = CliRunner().invoke(app, ["cases", "evaluate", "--out", str(out)])

    report = json.loads(out.read_text("utf-8"))
    assert result.exit_code == 0
    assert set(report) == {"dev", "heldout"}
    assert set(report["heldout"]["by_category"]["abuse"]) == {"en", "nb", "he", "zh"}
    assert report["heldout"]["by_category"]["legal_threat"]["nb"]["recall"] == 1.0


def test_an_abusive_mail_piped_to_the_receive_command_opens_a_case_and_warns(cli_db, tmp_path) -> None:
    with Session(cli_db) as session:
        shop = make_shop(session, name="Nordlys Sko")
        session.commit()
        domain = shop.domain
    mail = tmp_path / "mail.eml"
    mail.write_bytes(raw_mail("Faen ta dere, jævla idioter!", message_id="<cli-1@example.no>"))

    result = CliRunner().invoke(app, ["cases", "receive", str(mail), "--shop", domain])

    assert result.exit_code == 0, result.output
    assert "abuse (faen, jævla*, idioter) → warned" in result.output
