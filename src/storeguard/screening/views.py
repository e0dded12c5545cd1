"""Screening on the admin pages: the order page's decision, the dashboard's figures and chart, and
the list of decisions those figures link to."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import pygal
from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.responses import RedirectResponse, Response
from pygal.style import Style
from sqlalchemy.orm import Session
from starlette.requests import Request

from storeguard.core.api import SessionDep
from storeguard.core.clock import now
from storeguard.core.errors import DomainError
from storeguard.core.permissions import Permission
from storeguard.core.runs import get_run, progress_of
from storeguard.core.schemas import Id
from storeguard.orders.models import Order
from storeguard.screening import actions, service
from storeguard.screening.backtest_runs import BACKTEST_KIND, backtest_job, start_backtest
from storeguard.screening.enums import Outcome, ReasonSource
from storeguard.shops.service import list_shops
from storeguard.staff.pages import PageManageSettings, PageRead
from storeguard.staff.settings_views import form_sent_to, show_settings_again
from storeguard.web import flash
from storeguard.web.context import speaker
from storeguard.web.forms import Form, FormDep, attempt, sent
from storeguard.web.i18n import N_, Speaker
from storeguard.web.pagination import decode_key, page_links
from storeguard.web.panels import TODAY, Panel, add_panel, tile
from storeguard.web.refusals import describe
from storeguard.web.templating import render
from storeguard.web.timeline import register_event_words

router = APIRouter(include_in_schema=False)
register_event_words({"screening_settings.updated": N_("Screening settings changed")})
PAGE_SIZE = 50
CHART_DAYS = 30

# A decision says its word beside its colour.
OUTCOMES = {
    Outcome.allow: (N_("Allow"), "ok"),
    Outcome.verify: (N_("Verify"), "info"),
    Outcome.review: (N_("Review"), "warn"),
    Outcome.block: (N_("Block"), "bad"),
}
OUTCOME_MEANING = {
    Outcome.allow: N_("The order may go ahead."),
    Outcome.verify: N_("The customer must pass an extra verification step first."),
    Outcome.review: N_("A person must look at the order before it is shipped."),
    Outcome.block: N_("The order should not go ahead."),
}
SOURCES = {
    ReasonSource.list: N_("Block list"),
    ReasonSource.link: N_("Linked account"),
    ReasonSource.rule: N_("Rule"),
    ReasonSource.signal: N_("Signal"),
    ReasonSource.velocity: N_("Velocity"),
    ReasonSource.segment: N_("Segment"),
    ReasonSource.risk: N_("Risk finding"),
    ReasonSource.catalogue: N_("Catalogue"),
}
# The line of a reason: strongest first, so a block reads before a signal's weight.
_TONE = {Outcome.block: "bad", Outcome.review: "warn", Outcome.verify: "info"}


def decision_panel(request: Request, session: Session, order: Order) -> Panel:
    """Show the order's latest screening decision with its reasons (or that it was never screened)."""
    decision = service.latest_decision(session, order.id)
    reasons: list[dict[str, Any]] = []
    if decision is not None:
        for reason in sorted(
            decision.reasons, key=lambda r: (not r.get("decisive"), -int(r.get("weight") or 0))
        ):
            action = reason.get("action")
            reasons.append(
                {
                    "message": reason.get("message") or reason.get("code"),
                    "code": reason.get("code"),
                    "source": SOURCES.get(reason.get("source"), N_("Signal")),
                    "weight": int(reason.get("weight") or 0),
                    "tone": _TONE.get(action, "") if action else "",
                    "decisive": bool(reason.get("decisive")),
                }
            )
    return Panel(
        "screening/_decision.html",
        {
            "decision": decision,
            "outcome": OUTCOMES.get(decision.decision) if decision else None,
            "meaning": OUTCOME_MEANING.get(decision.decision) if decision else None,
            "reasons": reasons,
        },
        order=10,
        title=N_("Score thresholds"),
        anchor="thresholds-h",
    )


add_panel("order.side", "screening.decision", decision_panel)


# ---- the dashboard ------------------------------------------------------------------------------

TODAY_LABELS = {
    Outcome.block: N_("Blocked today"),
    Outcome.review: N_("Sent to review today"),
    Outcome.verify: N_("Asked to verify today"),
    Outcome.allow: N_("Allowed today"),
}
# The chart's colours, in the badges' tones; the legend and the table beside it say the words.
COLOURS = {
    Outcome.allow: "#17704a",
    Outcome.verify: "#1b5fb8",
    Outcome.review: "#c27c0e",
    Outcome.block: "#b3261e",
}


def held_tile(request: Request, session: Session, _subject: object) -> Panel:
    """Held orders waiting for a person, and how long the oldest has waited."""
    count, oldest = service.held_summary(session)
    said = speaker(request)
    note = said.gettext("Oldest waiting %(age)s", age=said.age(oldest, now())) if oldest else None
    return tile(
        N_("Held for review"),
        count,
        note=note,
        href="/reviews",
        attention=count > 0,
        order=10,
    )


def _decisions_today(request: Request, session: Session) -> Counter[str]:
    said = speaker(request)
    return Counter(outcome for _, outcome in service.decision_times(session, said.day_start(said.today())))


def today_tiles(request: Request, session: Session, _subject: object) -> list[Panel]:
    """Today's decisions, one figure per outcome, each linking to those decisions."""
    counts = _decisions_today(request, session)
    day = speaker(request).today().isoformat()
    return [
        tile(
            label,
            counts[outcome],
            href=f"/decisions?{urlencode({'outcome': outcome.value, 'day': day})}",
            order=20 + n,
            group=TODAY,
        )
        for n, (outcome, label) in enumerate(TODAY_LABELS.items())
    ]


def chart_panel(request: Request, session: Session, _subject: object) -> Panel:
    """Decisions by day and outcome over the last 30 days: the chart, and the same as a table."""
    said = speaker(request)
    days, by_day = _by_day(session, said)
    rows = [(day, [by_day[(day, o)] for o in Outcome]) for day in reversed(days)]
    return Panel(
        "screening/_chart.html",
        {"rows": rows, "outcomes": [(o, OUTCOMES[o]) for o in Outcome], "days": CHART_DAYS},
        order=10,
    )


def _by_day(session: Session, said: Speaker) -> tuple[list[date], Counter[tuple[date, Outcome]]]:
    today = said.today()
    days = [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    counts: Counter[tuple[date, Outcome]] = Counter()
    for at, outcome in service.decision_times(session, said.day_start(days[0])):
        counts[(said.day_of(at), Outcome(outcome))] += 1
    return days, counts


add_panel("dashboard.tiles", "screening.held", held_tile)
add_panel("dashboard.tiles", "screening.today", today_tiles)
add_panel("dashboard.wide", "screening.chart", chart_panel)


@router.get("/decisions/chart.svg", name="screening.decisions_chart")
def decisions_chart(actor: PageRead, request: Request, session: SessionDep) -> Response:
    """Draw the last 30 days' decisions as stacked bars (SVG, drawn on the server by pygal)."""
    said = speaker(request)
    days, counts = _by_day(session, said)
    chart = pygal.StackedBar(
        style=Style(
            background="transparent",
            plot_background="transparent",
            colors=tuple(COLOURS[o] for o in Outcome),
            font_family="system-ui, sans-serif",
            label_font_size=11,
            legend_font_size=12,
            major_label_font_size=11,
        ),
        width=900,
        height=280,
        js=[],  # no script: the chart is an image
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        show_minor_x_labels=False,
        x_labels_major_every=7,
        truncate_label=-1,
        margin=8,
        spacing=6,
        print_values=False,
        show_y_guides=True,
        y_labels_major_count=5,
        min_scale=2,
        max_scale=6,
    )
    chart.add_xml_filter(_without_scripts)
    chart.y_labels = _whole_ticks(max((sum(counts[(day, o)] for o in Outcome) for day in days), default=0))
    chart.x_labels = [said.date(day, "short") for day in days]
    for outcome in Outcome:
        chart.add(said.gettext(OUTCOMES[outcome][0]), [counts[(day, outcome)] for day in days])
    return Response(
        chart.render(),
        media_type="image/svg+xml",
        # Shown as an image: its own styles are inline; it runs nothing and loads nothing.
        headers={"content-security-policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


def _whole_ticks(highest: int) -> list[int]:
    """Return about five whole-number ticks from 0 past ``highest``: decisions are counted, never halved."""
    step = max(1, -(-highest // 4))
    return list(range(0, highest + step + 1, step))


def _without_scripts(root: Any) -> Any:
    """Take out the configuration script pygal always writes: the chart is an image and runs nothing."""
    for parent in list(root.iter()):
        for child in list(parent):
            if str(child.tag).endswith("script"):
                parent.remove(child)
    return root


# ---- the decisions a dashboard figure counts ---------------------------------------------------


@router.get("/decisions", name="screening.decisions")
def decision_list(
    actor: PageRead,
    request: Request,
    session: SessionDep,
    outcome: Annotated[Outcome | None, Query()] = None,
    day: Annotated[date | None, Query()] = None,
    after: Annotated[str | None, Query(max_length=60)] = None,
    before: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    """List stored decisions, newest first, of an outcome and a day (the pages' time zone)."""
    said = speaker(request)
    page = service.decision_page(
        session,
        outcome=outcome,
        since=said.day_start(day) if day else None,
        until=said.day_start(day + timedelta(days=1)) if day else None,
        limit=PAGE_SIZE,
        after=decode_key(after, field="after"),
        before=decode_key(before, field="before"),
    )
    rows = [
        {"decision": d, "top": next(iter(sorted(d.reasons, key=lambda r: -int(r.get("weight") or 0))), None)}
        for d in page.rows
    ]
    context = {
        "rows": rows,
        "numbers": service.order_numbers(session, [d.order_id for d in page.rows if d.order_id is not None]),
        "links": page_links(request, page, lambda d: (d.created_at, d.id)),
        "outcome": outcome,
        "day": day,
        "outcomes": OUTCOMES,
    }
    return render(request, "screening/decisions.html", context)


# ---- the rule editor's backtest -------------------------------------------------------------------

BACKTEST_DAYS = 90  # the range a backtest covers when none is given


@router.post("/rules/backtest", name="screening.page_backtest")
def backtest_draft(
    actor: PageRead, request: Request, session: SessionDep, data: FormDep, tasks: BackgroundTasks
) -> Response:
    """Start the rule being written over past orders of the shop, in the background.

    A bad rule or range answers at once; otherwise htmx gets the run's progress part (which asks
    again until the answer is there) and a plain form goes to the run's page.
    """
    said, form = speaker(request), sent(data)
    today = said.today()
    problem = None
    try:
        first = date.fromisoformat(str(form.value("date_from"))) if form.value("date_from") else None
        last = date.fromisoformat(str(form.value("date_to"))) if form.value("date_to") else None
    except ValueError:
        first = last = None
        problem = said.gettext("Give the dates as dates.")
    last = last or today
    first = first or last - timedelta(days=BACKTEST_DAYS)
    shops, _ = list_shops(session, limit=1)
    if problem is None and not shops:
        problem = said.gettext("There is no shop to backtest on yet.")
    run = None
    if problem is None:
        try:
            with attempt(session):
                run = start_backtest(
                    session,
                    actor=actor,
                    shop_id=shops[0].id,
                    sources=[str(form.value("source"))],
                    fields=["source"],
                    date_from=said.day_start(first),
                    date_to=said.day_start(last + timedelta(days=1)),
                    first=first,
                    last=last,
                )
        except DomainError as error:
            problem = describe(error, said)
    if run is None:
        context = {"result": None, "problem": problem, "first": first, "last": last}
        return render(request, "screening/_backtest.html", context)
    session.commit()
    tasks.add_task(backtest_job, request.app.state.session_factory, run.id)
    if request.headers.get("hx-request"):
        return render(
            request, "screening/_backtest_progress.html", _backtest_context(request, session, run.id)
        )
    return RedirectResponse(f"/rules/backtests/{run.id}", status_code=303)


def _backtest_context(request: Request, session: Session, run_id: int) -> dict[str, Any]:
    run = get_run(session, run_id, BACKTEST_KIND)
    progress = progress_of(run)
    return {
        "progress": progress,
        "result": run.result,
        "problem": speaker(request).gettext(run.error) if run.error else None,
        "first": date.fromisoformat(run.params["first"]),
        "last": date.fromisoformat(run.params["last"]),
    }


@router.get("/rules/backtests/{run_id}", name="screening.page_backtest_run")
def backtest_run(actor: PageRead, request: Request, session: SessionDep, run_id: Id) -> Response:
    """A backtest's page: how many of the range's orders it has read, then what it would have stopped."""
    return render(request, "screening/backtest_run.html", _backtest_context(request, session, run_id))


@router.get("/rules/backtests/{run_id}/progress", name="screening.page_backtest_progress")
def backtest_progress(actor: PageRead, request: Request, session: SessionDep, run_id: Id) -> Response:
    """The backtest's progress part, asking again every second until its answer replaces it (htmx)."""
    return render(request, "screening/_backtest_progress.html", _backtest_context(request, session, run_id))


# ---- settings: the score thresholds -----------------------------------------------------------------

THRESHOLDS = ("verify", "review", "block")


def thresholds_section(request: Request, session: Session, _subject: object) -> Panel | None:
    """The shop's score thresholds on the settings page, with a form for admins."""
    shops, _ = list_shops(session, limit=1)
    if not shops:
        return None
    settings, revision = service.screening_settings(session, shops[0].id)
    values = {k: "" if v is None else str(v) for k, v in settings["score_thresholds"].items()}
    user = getattr(request.state, "page_user", None)
    return Panel(
        "screening/_thresholds.html",
        {
            "shop": shops[0],
            "revision": revision,
            "form": Form(values=values),
            "may_change": user is not None and user.can(Permission.manage_settings),
        },
        order=10,
    )


add_panel("settings.sections", "screening.thresholds", thresholds_section)


# ---- settings: what each signal and velocity limit adds to the score ------------------------------

SIGNAL_WORDS = {
    "country_mismatch": N_("Billing and shipping countries differ"),
    "ip_country_mismatch": N_("The buyer's IP address is in another country than the shipping address"),
    "disposable_email": N_("The email is from a disposable-mail provider"),
    "first_order_high_value": N_("A customer's first order is of high value"),
    "many_variants_of_one_product": N_("Many variants of one product in one order"),
    "shared_shipping_address": N_("The shipping address is shared by several customers"),
    "linked_to_blocked": N_("Linked to a blocked customer"),
    "high_return_ratio": N_("The customer returns many of their orders"),
    "high_refund_ratio": N_("The customer is refunded on many of their orders"),
    "has_chargebacks": N_("The customer has had chargebacks"),
    "many_cancellations": N_("The customer cancels many orders"),
}
VELOCITY_WHAT = {
    "email": N_("email address"),
    "phone": N_("phone number"),
    "ip": N_("IP address"),
    "device": N_("device"),
    "card": N_("card"),
    "address": N_("shipping address"),
}
VELOCITY_WINDOW = {"1h": N_("1 hour"), "24h": N_("24 hours"), "7d": N_("7 days"), "30d": N_("30 days")}


def _velocity_words(fact: str, said: Speaker) -> str:
    """``orders_per_card_24h`` in words: "Orders with one card within 24 hours"."""
    what, _, rest = fact.partition("_per_")
    kind, _, window = rest.rpartition("_")
    values = {
        "what": said.gettext(VELOCITY_WHAT.get(kind, kind)),
        "window": said.gettext(VELOCITY_WINDOW.get(window, window)),
    }
    if what == "amount":
        return said.gettext("Amount spent with one %(what)s within %(window)s", **values)
    return said.gettext("Orders with one %(what)s within %(window)s", **values)


def _weight_values(settings: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for code, conf in settings["signals"].items():
        values[f"w.{code}"] = str(conf.get("weight", 0))
        if conf.get("enabled", True):
            values[f"on.{code}"] = "on"
    for i, limit in enumerate(settings["velocity"]):
        values[f"vmax.{i}"], values[f"vw.{i}"] = str(limit.get("max", "")), str(limit.get("weight", ""))
    return values


def weights_section(request: Request, session: Session, _subject: object) -> Panel | None:
    """What each signal and velocity limit adds to an order's score, with a form for admins."""
    shops, _ = list_shops(session, limit=1)
    if not shops:
        return None
    said = speaker(request)
    settings, _revision = service.screening_settings(session, shops[0].id)
    user = getattr(request.state, "page_user", None)
    return Panel(
        "screening/_weights.html",
        {
            "form": form_sent_to(request, "weights") or Form(values=_weight_values(settings)),
            "signals": [(code, SIGNAL_WORDS.get(code, code)) for code in settings["signals"]],
            "velocity": [
                (i, limit["fact"], _velocity_words(str(limit["fact"]), said))
                for i, limit in enumerate(settings["velocity"])
            ],
            "may_change": user is not None and user.can(Permission.manage_settings),
        },
        order=12,
        title=N_("Signal weights"),
        anchor="weights-h",
    )


add_panel("settings.sections", "screening.weights", weights_section)


def _whole_number(form: Form, name: str, said: Speaker, low: int, high: int) -> int | None:
    text = str(form.value(name)).strip()
    try:
        number = int(text)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        form.errors[name] = said.gettext("A whole number from %(low)s to %(high)s.", low=low, high=high)
        return None
    return number


@router.post("/settings/screening/weights", name="screening.page_weights")
def change_weights(
    actor: PageManageSettings, request: Request, session: SessionDep, data: FormDep
) -> Response:
    """Change what each signal and velocity limit adds to the score, and which signals are on."""
    said, form = speaker(request), sent(data)
    shops, _ = list_shops(session, limit=1)
    if not shops:
        return RedirectResponse("/settings", status_code=303)
    settings, _revision = service.screening_settings(session, shops[0].id)
    signals = {
        code: {
            "weight": _whole_number(form, f"w.{code}", said, -100, 100),
            "enabled": form.checked(f"on.{code}"),
        }
        for code in settings["signals"]
    }
    velocity = [
        {
            **limit,
            "max": _whole_number(form, f"vmax.{i}", said, 0, 10**9),
            "weight": _whole_number(form, f"vw.{i}", said, -100, 100),
        }
        for i, limit in enumerate(settings["velocity"])
    ]
    if form.ok:
        try:
            with attempt(session):
                actions.update_screening_settings(
                    session,
                    shop_id=shops[0].id,
                    actor=actor,
                    changes={"signals": signals, "velocity": velocity},
                )
        except DomainError as error:
            form.message = describe(error, said)
    if not form.ok:
        return show_settings_again(request, session, "weights", form, status=422)
    session.commit()
    response = RedirectResponse("/settings#weights-h", status_code=303)
    flash.add(
        response, request, said.gettext("The signal weights are saved; the next order is scored with them.")
    )
    return response


@router.post("/settings/screening", name="screening.page_thresholds")
def change_thresholds(
    actor: PageManageSettings, request: Request, session: SessionDep, data: FormDep
) -> Response:
    """Change the score thresholds through the settings action; a bad value is refused on its field."""
    said, form = speaker(request), sent(data)
    shops, _ = list_shops(session, limit=1)
    changes: dict[str, Any] = {}
    for name in THRESHOLDS:
        text = str(form.value(name)).strip()
        if not text:
            changes[name] = None
        elif text.isdigit() and len(text) < 6:
            changes[name] = int(text)
        else:
            form.errors[name] = said.gettext("A whole number from 0 to 100, or empty for none.")
    response = RedirectResponse("/settings", status_code=303)
    if not form.ok or not shops:
        flash.add(
            response,
            request,
            said.gettext("Nothing was changed: %(problem)s", problem=next(iter(form.errors.values()), "")),
        )
        return response
    try:
        with attempt(session):
            actions.update_screening_settings(
                session, shop_id=shops[0].id, actor=actor, changes={"score_thresholds": changes}
            )
    except DomainError as error:
        flash.add(
            response, request, said.gettext("Nothing was changed: %(problem)s", problem=describe(error, said))
        )
        return response
    session.commit()
    flash.add(response, request, said.gettext("The score thresholds are saved."))
    return response
