"""An åtgärd's indicators on the chef's åtgärd page (add one, correct one, add a measured value,
remove an indicator or a value after a confirmation page), and a file of measured values
imported for a whole plan. Who may: whoever may edit the åtgärd's plan
(tracker.domain.roles.may_edit), as for the åtgärd's other edits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from tracker.domain.evaluation import COLUMNS, parse_number, read_value_rows
from tracker.domain.problems import FileRefused
from tracker.domain.reading import WEB_LIMITS, read_sheet
from tracker.domain.tables import UnreadableFile
from tracker.errors import Refused
from tracker.models import Indicator, Person, Plan
from tracker.services import actions as action_service
from tracker.services import indicators as indicator_service
from tracker.services import plans as plan_service
from tracker.services.indicators import (
    BASELINE_FIELD,
    BASELINE_ON_FIELD,
    NAME_FIELD,
    TARGET_FIELD,
    UNIT_FIELD,
)
from tracker.web.deps import (
    CsrfChecked,
    EditorDep,
    NowDep,
    SessionDep,
    Web,
    WebDep,
    flash,
    refusal_status,
    require_edit,
    undo,
)
from tracker.web.forms import TEXT_LIMIT, parse_date, within
from tracker.web.routes import PathId
from tracker.web.routes.actions import _render
from tracker.web.routes.people import CONFIRMED
from tracker.web.routes.transfer import _read_upload
from tracker.web.views import typed_in

router = APIRouter()

REMOVAL_CONSEQUENCE = (
    "Det går inte att ångra. Historiken visar vad som togs bort, och återrapporter som redan "
    "är godkända ändras inte."
)

# The longest number a box takes; checked by the route (_number), not by the form, so that a
# longer one is refused beside its box with what was typed kept.
NUMBER = 40
# A box of an indicator form, bounded by the body's limit only: the name's and unit's limits
# are the rules' (tracker.domain.evaluation), a number's is _number's; each refused beside
# its box rather than on the generic page for an overlong form.
Typed = Annotated[str, Form(max_length=TEXT_LIMIT)]
# The sheet of a workbook that holds measured values, if it has several.
VALUE_SHEETS = ("Mätvärden", "Indikatorer")
# The confirmation pages that come before a removal, and what their buttons post to.
REMOVE_PATH = "/atgarder/{action_id}/indikatorer/{indicator_id}/ta-bort"
VALUE_PATH = "/atgarder/{action_id}/indikatorer/{indicator_id}/matvarden/{value_id}/ta-bort"


def _editable_plan(session: Session, action_id: int, user: Person) -> Plan:
    action = action_service.get_action(session, action_id)
    plan = plan_service.get_plan(session, action.plan_id)
    require_edit(user, plan)
    return plan


def _refused(
    request: Request,
    web: Web,
    session: Session,
    action_id: int,
    user: Person,
    now: datetime,
    exc: Refused,
    form: int | str,
    typed: dict[str, str],
) -> HTMLResponse:
    """The åtgärd's page again after a refused indicator form: the reason, and what was typed
    in `form`'s boxes ("ny" for a new indicator, else the indicator's id)."""
    undo(session)
    return _render(
        request,
        web,
        session,
        action_id,
        user,
        now,
        error=exc.message,
        status_code=refusal_status(exc),
        indicator_form=typed_in(form, typed),
    )


def _typed(name: str, unit: str, baseline: str, baseline_on: str, target: str) -> dict[str, str]:
    """An indicator form as typed, by its field names: shown again in its boxes if refused."""
    return {
        NAME_FIELD: name,
        UNIT_FIELD: unit,
        BASELINE_FIELD: baseline,
        BASELINE_ON_FIELD: baseline_on,
        TARGET_FIELD: target,
    }


def _indicator_values(typed: dict[str, str]) -> dict[str, Any]:
    """What add_indicator and edit_indicator take, read from the form; IndicatorRefused names
    the field that cannot be read."""
    return {
        "name": typed[NAME_FIELD],
        "unit": typed[UNIT_FIELD],
        "baseline_value": _number(typed[BASELINE_FIELD], "Utgångsvärde", BASELINE_FIELD),
        "baseline_on": _date(typed[BASELINE_ON_FIELD], "Utgångsvärdets datum", BASELINE_ON_FIELD),
        "target_value": _number(typed[TARGET_FIELD], "Mål", TARGET_FIELD),
    }


def _number(typed: str, label: str, field: str | None = None) -> float | None:
    try:
        return parse_number(within(typed, NUMBER, f"{label} är för långt"), label)
    except Refused as exc:
        raise indicator_service.IndicatorRefused(exc.message, field) from None
    except ValueError as exc:
        raise indicator_service.IndicatorRefused(f"{exc}.", field) from None


def _date(typed: str, label: str, field: str) -> date | None:
    try:
        return parse_date(typed, label)
    except Refused as exc:
        raise indicator_service.IndicatorRefused(exc.message, field) from None


@router.post("/atgarder/{action_id}/indikatorer", dependencies=[CsrfChecked], response_model=None)
def indicator_add(
    request: Request,
    action_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    name: Typed = "",
    unit: Typed = "",
    baseline: Typed = "",
    baseline_on: Typed = "",
    target: Typed = "",
) -> Response:
    _editable_plan(session, action_id, user)
    typed = _typed(name, unit, baseline, baseline_on, target)
    try:
        values = _indicator_values(typed)
        indicator_service.add_indicator(session, action_id, now=now, actor=user, **values)
    except Refused as exc:
        return _refused(request, web, session, action_id, user, now, exc, "ny", typed)
    flash(request, f"Indikatorn '{' '.join(name.split())}' är tillagd.")
    return RedirectResponse(f"/atgarder/{action_id}#indikatorer", status_code=303)


@router.post(
    "/atgarder/{action_id}/indikatorer/{indicator_id}/matvarden",
    dependencies=[CsrfChecked],
    response_model=None,
)
def indicator_measure(
    request: Request,
    action_id: PathId,
    indicator_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    measured_on: Typed = "",
    value: Typed = "",
) -> Response:
    _editable_plan(session, action_id, user)
    try:
        day = parse_date(measured_on, "Datum")
        number = _number(value, "Värde")
        if day is None:
            raise Refused("Ange datumet då värdet mättes.")
        if number is None:
            raise Refused("Ange det uppmätta värdet.")
        indicator = indicator_service.get_indicator(session, action_id, indicator_id)
        indicator_service.record_value(
            session, indicator, now=now, actor=user, measured_on=day, value=number
        )
    except Refused as exc:
        typed = {"measured_on": measured_on, "value": value}
        return _refused(request, web, session, action_id, user, now, exc, indicator_id, typed)
    flash(request, f"Mätvärdet för '{indicator.name}' är sparat.")
    return RedirectResponse(f"/atgarder/{action_id}#indikatorer", status_code=303)


@router.post(
    "/atgarder/{action_id}/indikatorer/{indicator_id}/andra",
    dependencies=[CsrfChecked],
    response_model=None,
)
def indicator_edit(
    request: Request,
    action_id: PathId,
    indicator_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    name: Typed = "",
    unit: Typed = "",
    baseline: Typed = "",
    baseline_on: Typed = "",
    target: Typed = "",
) -> Response:
    """The indicator's name, unit, baseline and target corrected; refused, the page again
    with the reason beside the field it is about and everything typed still in its box."""
    _editable_plan(session, action_id, user)
    indicator = indicator_service.get_indicator(session, action_id, indicator_id)
    typed = _typed(name, unit, baseline, baseline_on, target)
    try:
        values = _indicator_values(typed)
        changed = indicator_service.edit_indicator(
            session, indicator, now=now, actor=user, **values
        )
    except Refused as exc:
        typed |= {"error": exc.message, "field": getattr(exc, "field", None) or ""}
        return _refused(request, web, session, action_id, user, now, exc, indicator_id, typed)
    shown = " ".join(name.split())
    flash(
        request,
        f"Indikatorn '{shown}' är ändrad." if changed else "Ingenting ändrades i indikatorn.",
    )
    return RedirectResponse(f"/atgarder/{action_id}#indikatorer", status_code=303)


def _confirm_page(
    request: Request, web: Web, plan: Plan, action_id: int, **texts: str
) -> HTMLResponse:
    """The page that asks before something is removed: its button posts with `bekraftat`."""
    crumbs = [
        ("Planer", "/planer"),
        (plan.title, f"/planer/{plan.id}"),
        (f"Åtgärd {action_id}", f"/atgarder/{action_id}"),
    ]
    back = f"/atgarder/{action_id}#indikatorer"
    return web.render(request, "confirm.html", {"crumbs": crumbs, "back": back, **texts})


def _removable(
    session: Session, action_id: int, indicator_id: int, user: Person
) -> tuple[Plan, Indicator]:
    plan = _editable_plan(session, action_id, user)
    return plan, indicator_service.get_indicator(session, action_id, indicator_id)


@router.get(REMOVE_PATH, response_class=HTMLResponse)
def indicator_remove_confirm(
    request: Request,
    action_id: PathId,
    indicator_id: PathId,
    web: WebDep,
    session: SessionDep,
    user: EditorDep,
) -> HTMLResponse:
    plan, indicator = _removable(session, action_id, indicator_id, user)
    count = len(indicator_service.values_of(session, indicator))
    held = {0: "", 1: " och dess mätvärde"}.get(count, f" och dess {count} mätvärden")
    return _confirm_page(
        request,
        web,
        plan,
        action_id,
        title=f"Ta bort indikatorn {indicator.name}",
        what=f"Indikatorn '{indicator.name}'{held} tas bort från åtgärd {action_id}.",
        consequence=REMOVAL_CONSEQUENCE,
        action=REMOVE_PATH.format(action_id=action_id, indicator_id=indicator_id),
        button="Ta bort indikatorn",
    )


@router.post(REMOVE_PATH, dependencies=[CsrfChecked], response_model=None)
def indicator_remove(
    request: Request,
    action_id: PathId,
    indicator_id: PathId,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    bekraftat: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    _, indicator = _removable(session, action_id, indicator_id, user)
    if bekraftat != CONFIRMED:
        url = REMOVE_PATH.format(action_id=action_id, indicator_id=indicator_id)
        return RedirectResponse(url, status_code=303)
    name = indicator.name
    indicator_service.remove_indicator(session, indicator, now=now, actor=user)
    flash(request, f"Indikatorn '{name}' är borttagen.")
    return RedirectResponse(f"/atgarder/{action_id}#indikatorer", status_code=303)


@router.get(VALUE_PATH, response_class=HTMLResponse)
def value_remove_confirm(
    request: Request,
    action_id: PathId,
    indicator_id: PathId,
    value_id: PathId,
    web: WebDep,
    session: SessionDep,
    user: EditorDep,
) -> HTMLResponse:
    plan, indicator = _removable(session, action_id, indicator_id, user)
    value = indicator_service.get_value(session, indicator, value_id)
    shown = indicator_service.value_text(indicator, value)
    return _confirm_page(
        request,
        web,
        plan,
        action_id,
        title=f"Ta bort mätvärdet {shown}",
        what=f"Mätvärdet {shown} för indikatorn '{indicator.name}' tas bort.",
        consequence=REMOVAL_CONSEQUENCE,
        action=VALUE_PATH.format(action_id=action_id, indicator_id=indicator_id, value_id=value_id),
        button="Ta bort mätvärdet",
    )


@router.post(VALUE_PATH, dependencies=[CsrfChecked], response_model=None)
def value_remove(
    request: Request,
    action_id: PathId,
    indicator_id: PathId,
    value_id: PathId,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    bekraftat: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    _, indicator = _removable(session, action_id, indicator_id, user)
    value = indicator_service.get_value(session, indicator, value_id)
    if bekraftat != CONFIRMED:
        return RedirectResponse(
            VALUE_PATH.format(action_id=action_id, indicator_id=indicator_id, value_id=value_id),
            status_code=303,
        )
    shown = indicator_service.value_text(indicator, value)
    indicator_service.remove_value(session, indicator, value, now=now, actor=user)
    flash(request, f"Mätvärdet {shown} för '{indicator.name}' är borttaget.")
    return RedirectResponse(f"/atgarder/{action_id}#indikatorer", status_code=303)


def _plan_for_import(session: Session, plan_id: int, user: Person) -> Plan:
    plan = plan_service.get_plan(session, plan_id)
    require_edit(user, plan)
    return plan


@router.get("/planer/{plan_id}/indikatorer", response_class=HTMLResponse)
def indicator_import_form(
    request: Request, plan_id: PathId, web: WebDep, session: SessionDep, user: EditorDep
) -> HTMLResponse:
    plan = _plan_for_import(session, plan_id, user)
    return web.render(
        request,
        "plans/indicators.html",
        {"plan": plan, "columns": COLUMNS, "problems": None, "imported": None},
    )


@router.post(
    "/planer/{plan_id}/indikatorer", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
def indicator_import(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """A file of measured values (Åtgärd-id;Indikator;Enhet;Datum;Värde), CSV or XLSX (the
    sheet "Mätvärden", else the first), applied whole or refused whole with every row and
    column that is wrong."""
    plan = _plan_for_import(session, plan_id, user)
    problems: list[str] = []
    imported = None
    try:
        upload = _read_upload(file, "Filen")
        if upload is None:
            raise Refused("Välj en CSV- eller XLSX-fil med mätvärden att importera.")
        filename, data = upload
        sheet, _ = read_sheet(data, filename, WEB_LIMITS, VALUE_SHEETS)
        rows = read_value_rows(sheet, filename)
        imported = indicator_service.import_values(
            session, plan_id, rows, filename, now=now, actor=user
        )
    except FileRefused as exc:
        undo(session)
        problems = [str(p) for p in exc.problems]
    except (UnreadableFile, Refused) as exc:
        undo(session)
        problems = [exc.message]
    return web.render(
        request,
        "plans/indicators.html",
        {"plan": plan, "columns": COLUMNS, "problems": problems or None, "imported": imported},
        status_code=422 if problems else 200,
    )
