"""The rules pages: the list, and an editor that checks the rule as it is typed.

A problem in the text is shown where it is: the line, a caret under the column, and the parser's
words (with the nearest known fact or list when a name is unknown). The facts and named lists are
listed beside the editor. Backtesting a draft lives with screening, which runs it
(``screening.views``); the editor posts the draft there.
"""

from __future__ import annotations

import difflib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.errors import DomainError
from storeguard.core.permissions import Permission
from storeguard.core.schemas import Id
from storeguard.rules import actions, service
from storeguard.rules.errors import RuleError
from storeguard.rules.facts import fact_catalogue
from storeguard.rules.models import Rule
from storeguard.rules.nodes import unparse
from storeguard.staff.pages import PageRead, PageWriteRules
from storeguard.web import flash
from storeguard.web.context import NavItem, add_nav, speaker
from storeguard.web.forms import Form, FormDep, attempt, refuse, sent, whole_number
from storeguard.web.i18n import N_
from storeguard.web.templating import render

router = APIRouter(include_in_schema=False)
add_nav(NavItem(N_("Rules"), "/rules", order=50))
RULES_SHOWN = 500  # a shop has tens of rules, at most a few hundred


def _may_write(request: Request) -> bool:
    user = getattr(request.state, "page_user", None)
    return user is not None and user.can(Permission.write_rules)


@router.get("/rules", name="rules.page_list")
def rule_list(actor: PageRead, request: Request, session: SessionDep) -> Response:
    """List the rules in the order they are evaluated, on and off."""
    rules, _ = service.list_rules(session, limit=RULES_SHOWN)
    return render(request, "rules/list.html", {"rules": rules, "may_write": _may_write(request)})


def checked(session: Session, source: str) -> dict[str, Any]:
    """Check a rule's text: what it does and reads, or the problem with its place and a caret."""
    answer: dict[str, Any] = {"empty": False, "error": None}
    if not source.strip():
        return {**answer, "empty": True}
    try:
        compiled = actions.validate_source(session, source, None)
    except RuleError as error:
        return {
            **answer,
            "error": error.message,
            "line": error.line,
            "column": error.column,
            "caret": error.caret,
            "code": str(error.code),
        }
    return {
        **answer,
        "action": compiled.action,
        "facts": sorted(compiled.fields_used),
        "lists": sorted(compiled.lists_used),
        "canonical": unparse(compiled.tree),
    }


def _editor(
    request: Request, session: Session, rule: Rule | None, form: Form, *, status: int = 200
) -> Response:
    versions = service.list_versions(session, rule.id) if rule is not None else []
    diff = []
    if len(versions) > 1:
        diff = list(
            difflib.unified_diff(
                versions[1].source.splitlines(),
                versions[0].source.splitlines(),
                f"v{versions[1].version}",
                f"v{versions[0].version}",
                lineterm="",
            )
        )
    context = {
        "rule": rule,
        "form": form,
        "check": checked(session, str(form.value("source"))),
        "facts": fact_catalogue(),
        "named_lists": service.list_named_lists(session, limit=200)[0],
        "versions": versions,
        "diff": diff,
        "may_write": _may_write(request),
    }
    return render(request, "rules/editor.html", context, status_code=status)


@router.get("/rules/new", name="rules.page_new")
def new_rule(actor: PageWriteRules, request: Request, session: SessionDep) -> Response:
    """An empty editor."""
    return _editor(request, session, None, Form(values={"priority": "100", "enabled": "on"}))


@router.get("/rules/{rule_id}", name="rules.page")
def rule_page(actor: PageRead, request: Request, session: SessionDep, rule_id: Id) -> Response:
    """A rule in the editor, with its versions and what changed in the last one."""
    rule = service.get_rule(session, rule_id)
    values = {"name": rule.name, "source": rule.source, "priority": str(rule.priority)}
    if rule.enabled:
        values["enabled"] = "on"
    return _editor(request, session, rule, Form(values=values))


@router.post("/rules/check", name="rules.page_check")
def check_rule(actor: PageRead, request: Request, session: SessionDep, data: FormDep) -> Response:
    """What the text typed so far does, or where it is wrong (htmx, as one types)."""
    return render(request, "rules/_check.html", {"check": checked(session, str(sent(data).value("source")))})


def _save(request: Request, session: Session, actor: Any, rule: Rule | None, data: Any) -> Response:
    said, form = speaker(request), sent(data)
    priority = whole_number(form, "priority", said, minimum=0, maximum=1_000_000)
    name = str(form.value("name")).strip()
    source = str(form.value("source"))
    if not name:
        form.errors["name"] = said.gettext("Give the rule a name.")
    if not form.ok:
        return _editor(request, session, rule, form, status=422)
    try:
        with attempt(session):
            if rule is None:
                rule = actions.create_rule(
                    session,
                    name=name,
                    source=source,
                    actor=actor,
                    priority=priority,
                    enabled=form.checked("enabled"),
                )
            else:
                actions.update_rule(
                    session,
                    rule_id=rule.id,
                    actor=actor,
                    name=name,
                    source=source,
                    priority=priority,
                    enabled=form.checked("enabled"),
                )
    except DomainError as error:
        session.expire_all()
        return _editor(request, session, rule, refuse(form, error, said), status=error.status)
    session.commit()
    response = RedirectResponse(f"/rules/{rule.id}", status_code=303)
    flash.add(response, request, said.gettext("Rule “%(name)s” saved.", name=name))
    return response


@router.post("/rules/new", name="rules.page_create")
def create_rule(actor: PageWriteRules, request: Request, session: SessionDep, data: FormDep) -> Response:
    """Save a new rule after checking it; a bad one shows the editor again with the problem."""
    return _save(request, session, actor, None, data)


@router.post("/rules/{rule_id}", name="rules.page_update")
def update_rule(
    actor: PageWriteRules, request: Request, session: SessionDep, rule_id: Id, data: FormDep
) -> Response:
    """Save the rule; new text becomes a new version."""
    return _save(request, session, actor, service.get_rule(session, rule_id), data)
