"""The named lists pages: listed beside the built-in ones, created and edited through the actions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.rules.actions import create_named_list
from storeguard.rules.models import NamedList

OWNER = Actor("api_key", "test-owner", Role.owner)


def _lists(session) -> list[tuple]:
    session.expire_all()
    stmt = select(NamedList.name, NamedList.description, NamedList.values, NamedList.revision)
    return [tuple(r) for r in session.execute(stmt.order_by(NamedList.name))]


@pytest.fixture
def risky(session) -> NamedList:
    return create_named_list(
        session, name="risky_domains", values=["a.test", "b.test"], description="Seen in fraud", actor=OWNER
    )


def test_the_lists_page_shows_each_list_with_its_count_and_the_built_in_ones(client, login, risky):
    login("viewer")

    page = client.get("/rules/lists")

    assert page.status_code == 200
    assert f'<a href="/rules/lists/{risky.id}"><code>@risky_domains</code></a>' in page.text
    assert "Seen in fraud" in page.text
    row = page.text.split("<code>@risky_domains</code>", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["2"]
    assert "<code>@disposable_domains</code>" in page.text and "Built in" in page.text


def test_an_admin_creates_a_named_list_from_the_page(client, login, session):
    me = login("admin")

    answer = client.post(
        "/rules/lists/new",
        data={
            "csrf_token": me.csrf,
            "name": "vip_emails",
            "description": "Known good",
            "values": "kari@example.com\r\n\r\nola@example.com\r\nkari@example.com\r\n",
        },
        follow_redirects=False,
    )

    named_id = session.scalar(select(NamedList.id))
    assert (answer.status_code, answer.headers["location"]) == (303, f"/rules/lists/{named_id}")
    assert _lists(session) == [("vip_emails", "Known good", ["kari@example.com", "ola@example.com"], 1)]


def test_an_admin_replaces_a_lists_values_and_description_from_the_page(client, login, session, risky):
    me = login("admin")

    answer = client.post(
        f"/rules/lists/{risky.id}",
        data={"csrf_token": me.csrf, "description": "Seen twice", "values": "b.test\nc.test"},
        follow_redirects=False,
    )

    assert (answer.status_code, answer.headers["location"]) == (303, f"/rules/lists/{risky.id}")
    assert _lists(session) == [("risky_domains", "Seen twice", ["b.test", "c.test"], 2)]


def test_a_refused_value_shows_the_form_again_marked_and_changes_nothing(client, login, session, risky):
    me = login("admin")
    before = _lists(session)

    answer = client.post(
        f"/rules/lists/{risky.id}",
        data={"csrf_token": me.csrf, "description": "Changed", "values": "c.test\n" + "x" * 256},
    )

    assert answer.status_code == 422
    assert (
        '<p class="field-error" id="values-error">A value may be at most 255 characters long.</p>'
        in answer.text
    )
    assert "x" * 256 in answer.text  # what was typed is shown again
    assert _lists(session) == before == [("risky_domains", "Seen in fraud", ["a.test", "b.test"], 1)]


def test_a_new_list_with_a_taken_name_is_refused_and_nothing_is_created(client, login, session, risky):
    me = login("admin")
    before = _lists(session)

    answer = client.post(
        "/rules/lists/new", data={"csrf_token": me.csrf, "name": "risky_domains", "values": "z.test"}
    )

    assert answer.status_code == 409
    assert (
        '<p class="field-error" id="name-error">A named list of this name exists already.</p>' in answer.text
    )
    assert _lists(session) == before


def test_a_new_list_with_a_bad_name_is_refused_and_nothing_is_created(client, login, session):
    me = login("admin")

    answer = client.post("/rules/lists/new", data={"csrf_token": me.csrf, "name": "Risky Domains"})

    assert answer.status_code == 422
    assert 'id="name-error"' in answer.text
    assert _lists(session) == []


@pytest.mark.parametrize("role", ["viewer", "agent"])
def test_only_those_who_may_change_rules_may_post_a_list(client, login, session, risky, role):
    me = login(role)
    before = _lists(session)

    created = client.post("/rules/lists/new", data={"csrf_token": me.csrf, "name": "new_list"})
    edited = client.post(f"/rules/lists/{risky.id}", data={"csrf_token": me.csrf, "values": "z.test"})

    assert (created.status_code, edited.status_code) == (403, 403)
    assert _lists(session) == before


def test_a_viewer_sees_the_lists_and_their_values_without_buttons(client, login, risky):
    login("viewer")

    lists = client.get("/rules/lists")
    page = client.get(f"/rules/lists/{risky.id}")

    assert (lists.status_code, page.status_code) == (200, 200)
    assert "/rules/lists/new" not in lists.text
    assert "a.test\nb.test</textarea>" in page.text
    assert "<button" not in page.text.split("<main", 1)[-1].split("</form>", 1)[0]
    assert 'readonly="readonly">a.test' in page.text


def test_an_admin_sees_the_new_list_and_save_buttons(client, login, risky):
    login("admin")

    lists = client.get("/rules/lists")
    page = client.get(f"/rules/lists/{risky.id}")

    assert 'href="/rules/lists/new"' in lists.text
    assert '<button type="submit" class="primary">Save list</button>' in page.text
    assert 'readonly="readonly">a.test' not in page.text


def test_a_viewer_may_not_open_the_new_list_form(client, login):
    login("viewer")

    assert client.get("/rules/lists/new").status_code == 403


@pytest.mark.parametrize("token", [None, "stale-token"])
def test_a_list_post_without_the_sessions_csrf_token_is_refused(client, login, session, risky, token):
    login("admin")
    before = _lists(session)

    created = client.post(
        "/rules/lists/new", data={"name": "new_list", **({"csrf_token": token} if token else {})}
    )
    edited = client.post(
        f"/rules/lists/{risky.id}", data={"values": "z.test", **({"csrf_token": token} if token else {})}
    )

    assert (created.status_code, edited.status_code) == (403, 403)
    assert _lists(session) == before


def test_the_rule_editor_links_each_named_list_to_its_page(client, login, risky):
    login("admin")

    page = client.get("/rules/new")

    assert f'<a href="/rules/lists/{risky.id}"><code>@risky_domains</code></a>' in page.text
    assert '<a href="/rules/lists">All named lists</a>' in page.text


def test_an_unknown_list_answers_404(client, login):
    login("viewer")

    assert client.get("/rules/lists/987654321").status_code == 404
