"""The settings page: API keys and staff users for owners (a secret shown once), and thresholds."""

from __future__ import annotations

import re

from sqlalchemy import select

from storeguard.core.models import ApiKey
from storeguard.customers.identifiers import link_types
from storeguard.integrations.enums import SecretScope
from storeguard.integrations.secrets import get_secret
from storeguard.screening.service import screening_settings
from storeguard.shops.models import Shop
from storeguard.staff import passwords
from storeguard.staff.models import StaffUser
from tests.factories import make_shop, make_staff_user


def test_a_new_api_key_is_shown_once_and_then_only_its_prefix(client, login, session):
    me = login("owner")

    made = client.post(
        "/settings/keys", data={"csrf_token": me.csrf, "key_name": "checkout", "key_role": "agent"}
    )
    later = client.get("/settings")

    secret = re.search(r'<code class="secret">(sg_[\w-]+)</code>', made.text).group(1)
    assert made.status_code == 200 and secret not in later.text
    key = session.scalar(select(ApiKey).where(ApiKey.name == "checkout"))
    assert (key.role, secret.startswith(f"sg_{key.prefix}_")) == ("agent", True)
    assert f"sg_{key.prefix}_…" in later.text


def test_an_owner_adds_a_staff_user_with_a_generated_password_shown_once(client, login, session):
    me = login("owner")

    made = client.post(
        "/settings/users",
        data={
            "csrf_token": me.csrf,
            "name": "Ola",
            "email": "ola@example.no",
            "role": "viewer",
            "locale": "nb",
        },
    )

    assert made.status_code == 200 and '<code class="secret">' in made.text
    user = session.scalar(select(StaffUser).where(StaffUser.email == "ola@example.no"))
    assert (user.role, user.locale, user.active) == ("viewer", "nb", True)


def test_an_admin_may_not_make_keys_or_users(client, login, session):
    me = login("admin")

    key = client.post("/settings/keys", data={"csrf_token": me.csrf, "key_name": "x", "key_role": "owner"})
    user = client.post(
        "/settings/users", data={"csrf_token": me.csrf, "name": "x", "email": "x@example.no", "role": "owner"}
    )

    assert (key.status_code, user.status_code) == (403, 403)
    assert session.scalar(select(ApiKey).where(ApiKey.name == "x")) is None


def test_a_bad_threshold_changes_nothing_and_a_good_one_is_saved(client, login, session):
    shop = make_shop(session)
    me = login("admin")
    before = screening_settings(session, shop.id)

    bad = client.post(
        "/settings/screening",
        data={"csrf_token": me.csrf, "verify": "40", "review": "sixty", "block": ""},
        follow_redirects=False,
    )
    unchanged = screening_settings(session, shop.id)
    good = client.post(
        "/settings/screening",
        data={"csrf_token": me.csrf, "verify": "30", "review": "55", "block": "90"},
        follow_redirects=False,
    )

    assert (bad.status_code, unchanged) == (303, before)
    assert good.status_code == 303
    assert screening_settings(session, shop.id)[0]["score_thresholds"] == {
        "verify": 30,
        "review": 55,
        "block": 90,
    }


def test_a_viewer_sees_the_thresholds_but_not_the_team(client, login, session):
    make_shop(session)
    login("viewer")

    page = client.get("/settings")

    assert page.status_code == 200
    assert 'id="thresholds-h"' in page.text and 'id="team-h"' not in page.text


def test_an_admin_adds_a_reason_code_with_its_words_per_language(client, login, session):
    from storeguard.lists.reasons import list_reason_codes

    shop = make_shop(session)
    me = login("admin")

    answer = client.post(
        "/settings/reason-codes",
        data={
            "csrf_token": me.csrf,
            "code": "reseller",
            "label": "Buys to resell",
            "words_en": "Orders were bought to resell.",
            "words_nb": "Ordrene ble kjøpt for videresalg.",
        },
        follow_redirects=False,
    )

    assert answer.status_code == 303
    added = [r for r in list_reason_codes(session, shop.id) if r.code == "reseller"]
    assert [(r.label, r.descriptions) for r in added] == [
        ("Buys to resell", {"en": "Orders were bought to resell.", "nb": "Ordrene ble kjøpt for videresalg."})
    ]


def test_a_reason_code_without_english_words_is_refused_and_nothing_added(client, login, session):
    from storeguard.lists.reasons import list_reason_codes

    shop = make_shop(session)
    me = login("admin")
    before = [r.code for r in list_reason_codes(session, shop.id)]

    client.post(
        "/settings/reason-codes",
        data={"csrf_token": me.csrf, "code": "odd", "label": "Odd", "words_nb": "Rart."},
    )

    assert [r.code for r in list_reason_codes(session, shop.id)] == before


def test_an_agent_may_not_add_reason_codes(client, login, session):
    make_shop(session)
    me = login("agent")

    answer = client.post(
        "/settings/reason-codes", data={"csrf_token": me.csrf, "code": "x", "label": "X", "words_en": "x"}
    )

    assert answer.status_code == 403


def test_an_owner_changes_a_staff_users_role_from_the_team_table(client, login, session):
    me = login("owner")
    ola = make_staff_user(session, "agent", email="ola@example.no")

    changed = client.post(f"/settings/users/{ola.id}/role", data={"csrf_token": me.csrf, "role": "viewer"})

    session.refresh(ola)
    assert changed.status_code == 200 and "ola@example.no is now Viewer." in changed.text
    assert ola.role == "viewer"


def test_an_unknown_role_is_refused_on_the_page_and_changes_nothing(client, login, session):
    me = login("owner")
    ola = make_staff_user(session, "agent", email="ola@example.no")

    refused = client.post(f"/settings/users/{ola.id}/role", data={"csrf_token": me.csrf, "role": "boss"})

    session.refresh(ola)
    assert refused.status_code == 200 and "boss" in refused.text
    assert ola.role == "agent"


def test_a_reset_password_is_shown_once_and_replaces_the_old_one(client, login, session):
    me = login("owner")
    ola = make_staff_user(session, "agent", email="ola@example.no")
    old_hash = ola.password_hash

    reset = client.post(f"/settings/users/{ola.id}/password", data={"csrf_token": me.csrf})

    secret = re.search(r'<code class="secret">([^<]+)</code>', reset.text).group(1)
    session.refresh(ola)
    assert reset.status_code == 200 and "New password for ola@example.no" in reset.text
    assert ola.password_hash != old_hash and passwords.verify_password(ola.password_hash, secret)


def test_an_admin_may_not_change_roles_or_reset_passwords(client, login, session):
    me = login("admin")
    ola = make_staff_user(session, "agent", email="ola@example.no")
    old_hash = ola.password_hash

    role = client.post(f"/settings/users/{ola.id}/role", data={"csrf_token": me.csrf, "role": "owner"})
    reset = client.post(f"/settings/users/{ola.id}/password", data={"csrf_token": me.csrf})

    session.refresh(ola)
    assert (role.status_code, reset.status_code) == (403, 403)
    assert (ola.role, ola.password_hash) == ("agent", old_hash)


def test_an_admin_retires_a_reason_code_and_brings_it_back(client, login, session):
    shop = make_shop(session)
    me = login("admin")
    client.get("/settings")  # the defaults are seeded on first read

    retired = client.post("/settings/reason-codes/threats/retire", data={"csrf_token": me.csrf})
    after_retire = _in_use(session, shop.id)
    restored = client.post("/settings/reason-codes/threats/restore", data={"csrf_token": me.csrf})

    assert "Reason code threats is retired: new blocks can no longer use it." in retired.text
    assert after_retire["threats"] is False
    assert "Reason code threats is in use again." in restored.text
    assert _in_use(session, shop.id)["threats"] is True


def test_a_viewer_sees_no_retire_button_and_may_not_retire(client, login, session):
    shop = make_shop(session)
    me = login("viewer")

    page = client.get("/settings")
    refused = client.post("/settings/reason-codes/fraud/retire", data={"csrf_token": me.csrf})

    assert "/retire" not in page.text
    assert refused.status_code == 403 and _in_use(session, shop.id)["fraud"] is True


def _in_use(session, shop_id: int) -> dict[str, bool]:
    from storeguard.lists.reasons import list_reason_codes

    session.expire_all()
    return {r.code: r.active for r in list_reason_codes(session, shop_id)}


def test_an_admin_changes_a_signal_weight_and_turns_a_signal_off(client, login, session):
    shop = make_shop(session)
    me = login("admin")
    form = _weights_form(client)
    form.update({"w.disposable_email": "45", "csrf_token": me.csrf})
    del form["on.country_mismatch"]

    saved = client.post("/settings/screening/weights", data=form, follow_redirects=False)

    signals = screening_settings(session, shop.id)[0]["signals"]
    assert saved.status_code == 303
    assert (signals["disposable_email"]["weight"], signals["disposable_email"]["enabled"]) == (45, True)
    assert (signals["country_mismatch"]["weight"], signals["country_mismatch"]["enabled"]) == (15, False)


def test_a_weight_out_of_range_shows_the_form_again_marked_and_changes_nothing(client, login, session):
    shop = make_shop(session)
    me = login("admin")
    before = screening_settings(session, shop.id)
    form = _weights_form(client)
    form.update({"w.disposable_email": "250", "vmax.0": "many", "csrf_token": me.csrf})

    refused = client.post("/settings/screening/weights", data=form)

    assert refused.status_code == 422
    assert refused.text.count("A whole number from") == 2
    assert 'value="250"' in refused.text and 'value="many"' in refused.text
    assert screening_settings(session, shop.id) == before


def test_an_agent_sees_the_weights_without_a_save_button_and_may_not_post(client, login, session):
    shop = make_shop(session)
    me = login("agent")
    before = screening_settings(session, shop.id)

    page = client.get("/settings")
    refused = client.post(
        "/settings/screening/weights", data={"csrf_token": me.csrf, "w.disposable_email": "1"}
    )

    assert 'id="weights-h"' in page.text and "Save weights" not in page.text
    assert refused.status_code == 403 and screening_settings(session, shop.id) == before


def _weights_form(client) -> dict[str, str]:
    """The weights form as the page fills it."""
    page = client.get("/settings").text
    section = page[page.index('action="/settings/screening/weights"') :]
    section = section[: section.index("</form>")]
    values = dict(re.findall(r'name="((?:w|vmax|vw)\.[\w.]+)" type="text" value="([^"]*)"', section))
    values.update(
        {
            name: "on"
            for name in re.findall(r'name="(on\.\w+)" type="checkbox" value="on"[^>]*checked', section)
        }
    )
    return values


def test_an_admin_chooses_the_identifiers_that_link_customers(client, login, session):
    shop = make_shop(session)
    me = login("admin")

    saved = client.post(
        "/settings/link-types",
        data={"csrf_token": me.csrf, "t.email": "on", "t.payment_fingerprint": "on"},
        follow_redirects=False,
    )

    session.expire_all()
    assert saved.status_code == 303
    assert [str(t) for t in link_types(session.get(Shop, shop.id))] == ["email", "payment_fingerprint"]


def test_the_link_types_form_shows_the_shops_choice_ticked(client, login, session):
    make_shop(session, settings={"link_identifier_types": ["phone"]})
    login("viewer")

    page = client.get("/settings").text

    ticked = re.findall(r'name="t\.(\w+)" type="checkbox" value="on" checked', page)
    assert ticked == ["phone"] and "Save and relink" not in page


def test_an_agent_may_not_change_the_link_types(client, login, session):
    shop = make_shop(session)
    me = login("agent")

    refused = client.post("/settings/link-types", data={"csrf_token": me.csrf, "t.ip": "on"})

    session.expire_all()
    assert refused.status_code == 403
    assert (session.get(Shop, shop.id).settings or {}).get("link_identifier_types") is None


def test_settings_show_the_notice_in_every_language_for_the_chosen_reason(client, login, session):
    make_shop(session)
    login("viewer")

    page = client.get("/settings", params={"notice_reason": "threats", "notice_action": "review"}).text

    grid = page[page.index('id="notice-grid"') :]
    assert re.findall(r'<article class="mail" lang="(\w+)" dir="(\w+)"', grid) == [
        ("en", "ltr"),
        ("nb", "ltr"),
        ("he", "rtl"),
        ("zh", "ltr"),
    ]
    assert "Messages to our staff contained threats." in grid
    assert "Meldinger til våre ansatte inneholdt trusler." in grid


def test_the_notice_grid_alone_answers_an_htmx_pick(client, login, session):
    make_shop(session)
    login("viewer")

    grid = client.get(
        "/settings/notices", params={"notice_reason": "fraud"}, headers={"HX-Request": "true"}
    ).text

    assert grid.startswith('<div id="notice-grid"') and grid.count('<article class="mail"') == 4


def test_an_owner_sets_a_shops_secrets_and_sees_only_that_they_are_set(client, login, session):
    shop = make_shop(session, domain="kari.myshopify.com")
    me = login("owner")

    saved = client.post(
        f"/settings/shops/{shop.id}/secrets",
        data={"csrf_token": me.csrf, "webhook_secret": "whsec-new-123", "access_token": "shpat_abc"},
    )

    stored = get_secret(session, scope=SecretScope.shop, owner="kari.myshopify.com", name="webhook_secret")
    assert saved.status_code == 200 and "The secrets of kari.myshopify.com are saved." in saved.text
    assert stored.current == "whsec-new-123"
    assert "whsec-new-123" not in saved.text and "shpat_abc" not in saved.text
    assert saved.text.count('<span class="badge ok">Set</span>') == 2


def test_empty_secret_fields_are_refused_and_change_nothing(client, login, session):
    shop = make_shop(session, domain="kari.myshopify.com")
    me = login("owner")

    refused = client.post(
        f"/settings/shops/{shop.id}/secrets",
        data={"csrf_token": me.csrf, "webhook_secret": " ", "access_token": ""},
    )

    assert refused.status_code == 422 and "Type a new webhook secret or access token" in refused.text
    assert (
        get_secret(session, scope=SecretScope.shop, owner="kari.myshopify.com", name="webhook_secret") is None
    )


def test_a_gateway_secret_is_saved_and_never_written_back(client, login, session):
    make_shop(session)
    me = login("owner")

    saved = client.post(
        "/settings/gateways/stripe/secret", data={"csrf_token": me.csrf, "secret": "whsec_stripe_1"}
    )
    unknown = client.post(
        "/settings/gateways/adyen/secret", data={"csrf_token": me.csrf, "secret": "whsec_x"}
    )

    assert (
        get_secret(session, scope=SecretScope.gateway, owner="stripe", name="webhook_secret").current
        == "whsec_stripe_1"
    )
    assert "whsec_stripe_1" not in saved.text and "The Stripe secret is saved." in saved.text
    assert unknown.status_code == 422 and "whsec_x" not in unknown.text
    assert get_secret(session, scope=SecretScope.gateway, owner="adyen", name="webhook_secret") is None


def test_an_admin_sees_no_secrets_and_may_not_set_them(client, login, session):
    shop = make_shop(session, domain="kari.myshopify.com")
    me = login("admin")

    page = client.get("/settings")
    refused = client.post(
        f"/settings/shops/{shop.id}/secrets", data={"csrf_token": me.csrf, "webhook_secret": "x"}
    )

    assert 'id="connections-h"' not in page.text
    assert refused.status_code == 403
    assert (
        get_secret(session, scope=SecretScope.shop, owner="kari.myshopify.com", name="webhook_secret") is None
    )
