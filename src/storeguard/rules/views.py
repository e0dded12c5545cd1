"""The rules pages: the list with each rule's hits, an editor that checks the rule as it is typed,
and the named lists rules use.

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
from storeguard.rules.errors import RuleError, RuleErrorCode
from storeguard.rules.facts import fact_catalogue
from storeguard.rules.models import NamedList, Rule
from storeguard.rules.named_lists import BUILTIN_LISTS, builtin_values
from storeguard.rules.nodes import unparse
from storeguard.rules.policy import MAX_LIST_VALUES
from storeguard.staff.pages import PageRead, PageWriteRules
from storeguard.web import flash
from storeguard.web.context import NavItem, add_nav, speaker
from storeguard.web.forms import Form, FormDep, attempt, refuse, sent, whole_number
from storeguard.web.i18n import N_
from storeguard.web.refusals import register_refusals
from storeguard.web.templating import render

router = APIRouter(include_in_schema=False)
add_nav(NavItem(N_("Rules"), "/rules", order=50))
RULES_SHOWN = 500  # a shop has tens of rules, at most a few hundred
LISTS_SHOWN = 500  # named lists are fewer still
register_refusals(
    {
        RuleErrorCode.named_list_exists: N_("A named list of this name exists already."),
        RuleErrorCode.named_list_name_invalid: N_(
            "A list name starts with a lowercase letter and holds only a-z, 0-9 and _ "
            "(at most 64), like high_risk_countries."
        ),
        RuleErrorCode.named_list_builtin: N_("This name is a built-in list's and cannot be used."),
        RuleErrorCode.named_list_value_invalid: N_("A value may be at most 255 characters long."),
        RuleErrorCode.named_list_too_large: N_("A named list may hold at most 10000 values."),
    }
)


def _may_write(request: Request) -> bool:
    user = getattr(request.state, "page_user", None)
    return user is not None and user.can(Permission.write_rules)


@router.get("/rules", name="rules.page_list")
def rule_list(actor: PageRead, request: Request, session: SessionDep) -> Response:
    """List the rules in the order they are evaluated, on and off."""
    rules, _ = service.list_rules(session, limit=RULES_SHOWN)
    hits = service.rule_hits(session)
    rows = [(rule, hits.get(rule.id, service.NO_HITS)) for rule in rules]
    return render(request, "rules/list.html", {"rows": rows, "may_write": _may_write(request)})


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
        "hits": service.hits_of_rule(session, rule.id) if rule is not None else service.NO_HITS,
        "form": form,
        "check": checked(session, str(form.value("source"))),
        "facts": fact_catalogue(),
        "named_lists": service.list_named_lists(session, limit=200)[0],
        "versions": versions,
        "diff": diff,
        "may_write": _may_write(request),
    }
    return render(request, "rules/editor.html", context, status_code=status)


# ---- named lists: before /rules/{rule_id}, which would read "lists" as a rule's id ---------------


def _list_rows(request: Request, session: Session) -> list[dict[str, Any]]:
    """The merchant's lists, then the built-in ones, as the page shows them."""
    said = speaker(request)
    own, _ = service.list_named_lists(session, limit=LISTS_SHOWN)
    rows = [
        {
            "name": named.name,
            "description": named.description,
            "kind": said.gettext("Yours"),
            "count": len(named.values),
            "updated": named.updated_at,
            "href": f"/rules/lists/{named.id}",
        }
        for named in own
    ]
    rows += [
        {
            "name": builtin.name,
            "description": builtin.description,
            "kind": said.gettext("Built in"),
            "count": len(builtin_values(builtin.name)),
            "updated": None,
            "href": None,
        }
        for builtin in BUILTIN_LISTS.values()
    ]
    return rows


@router.get("/rules/lists", name="rules.page_lists")
def named_lists(actor: PageRead, request: Request, session: SessionDep) -> Response:
    """The named lists rules can use as @name: the merchant's, editable, and the built-in ones."""
    context = {"rows": _list_rows(request, session), "may_write": _may_write(request)}
    return render(request, "rules/named_lists.html", context)


def _list_form(
    request: Request, session: Session, named: NamedList | None, form: Form, *, status: int = 200
) -> Response:
    context = {
        "named": named,
        "form": form,
        "may_write": _may_write(request),
        "max_values": MAX_LIST_VALUES,
    }
    return render(request, "rules/named_list.html", context, status_code=status)


def _values(form: Form) -> list[str]:
    """The textarea's lines; blanks and repeats are the action's to drop."""
    return str(form.value("values")).splitlines()


@router.get("/rules/lists/new", name="rules.page_new_list")
def new_named_list(actor: PageWriteRules, request: Request, session: SessionDep) -> Response:
    """An empty named list."""
    return _list_form(request, session, None, Form())


@router.post("/rules/lists/new", name="rules.page_create_list")
def create_named_list(
    actor: PageWriteRules, request: Request, session: SessionDep, data: FormDep
) -> Response:
    """Create a named list; a refused name or value shows the form again and creates nothing."""
    said, form = speaker(request), sent(data)
    try:
        with attempt(session):
            named = actions.create_named_list(
                session,
                name=str(form.value("name")),
                values=_values(form),
                description=str(form.value("description")),
                actor=actor,
            )
    except DomainError as error:
        session.expire_all()
        return _list_form(request, session, None, refuse(form, error, said), status=error.status)
    session.commit()
    response = RedirectResponse(f"/rules/lists/{named.id}", status_code=303)
    flash.add(response, request, said.gettext("Named list @%(name)s saved.", name=named.name))
    return response


@router.get("/rules/lists/{list_id}", name="rules.page_list_detail")
def named_list_page(actor: PageRead, request: Request, session: SessionDep, list_id: Id) -> Response:
    """A named list with its values, one a line, editable by those who may change rules."""
    named = service.get_named_list(session, list_id)
    values = {"values": "\n".join(named.values), "description": named.description}
    return _list_form(request, session, named, Form(values=values))


@router.post("/rules/lists/{list_id}", name="rules.page_update_list")
def update_named_list(
    actor: PageWriteRules, request: Request, session: SessionDep, list_id: Id, data: FormDep
) -> Response:
    """Replace a named list's values and description; rules using it see the new values at once."""
    said, form = speaker(request), sent(data)
    named = service.get_named_list(session, list_id)
    try:
        with attempt(session):
            actions.update_named_list(
                session,
                list_id=named.id,
                values=_values(form),
                description=str(form.value("description")),
                actor=actor,
            )
    except DomainError as error:
        session.expire_all()
        return _list_form(request, session, named, refuse(form, error, said), status=error.status)
    session.commit()
    response = RedirectResponse(f"/rules/lists/{named.id}", status_code=303)
    flash.add(response, request, said.gettext("Named list @%(name)s saved.", name=named.name))
    return response


# ---- rules -----------------------------------------------------------------------------------


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
