"""A Norwegian shop with a mail relay's shared secret, and files kept in a temporary folder."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from storeguard.shops.models import Shop
from tests.factories import make_shop

SECRET = "relay-secret-for-tests"


@pytest.fixture(autouse=True)
def _relay_secret_and_files(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from storeguard.core.config import get_settings

    monkeypatch.setattr(get_settings(), "inbound_email_secret", SECRET)
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    monkeypatch.setattr(get_settings(), "mail_from", "Nordlys Sko <kundeservice@nordlys.example>")


@pytest.fixture
def shop(session: Session) -> Shop:
    return make_shop(session, name="Nordlys Sko", country="NO", currency="NOK")
