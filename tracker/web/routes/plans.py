"""The chef's and board's plan pages: all plans, one plan as the återrapport table (searched,
filtered and sorted by what the address says, so a view can be shared as a link), giving many
of its åtgärder an owner at once, an utvecklingsområde's page, and creating plans, areas and
åtgärder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, select

from notifications.swedish import count
from tracker.domain import nouns
from tracker.domain.listing import DESCENDING, SORTS, arrange
from tracker.domain.plan_meta import TEXT_LIMITS
from tracker.domain.roles import forvaltning_scope, is_editor, may_edit, may_read
from tracker.errors import Refused, TrackerError
from tracker.models import Area, Person, Plan
from tracker.models.base import ID_LIMIT
from tracker.services import areas as area_service
from tracker.services import people
from tracker.services import plans as plan_service
from tracker.services.assigning import (
    Assigned,
    Pick,
    assign_many,
    assign_with_link,
    choose_owner,
    owner_candidates,
)
from tracker.services.link_mail import queue_assignments
from tracker.web.deps import (
    CsrfChecked,
    EditorDep,
    NowDep,
    SessionDep,
    UserDep,
    Web,
    WebDep,
    flash,
    pop_flash,
    refusal_status,
    require_edit,
    require_read,
    undo,
)
from tracker.web.forms import (
    INCOMPLETE_MESSAGE,
    TEXT_LIMIT,
    VERSION_LIMIT,
    FormError,
    checked_dates,
    field_of,
    optional_int,
    parse_date,
    required,
    within,
)
from tracker.web.routes import FormId, PathId
from tracker.web.views import ActionView, action_view, listed

router = APIRouter()

# The id of the plan page's form for a new åtgärd, which a refusal is shown in.
NEW_ACTION_FORM = "ny-atgard-form"
# And of its form for a new utvecklingsområde.
NEW_AREA_FORM = "nytt-omrade-form"
# The id of the area page's own edit form.
EDIT_AREA_FORM = "andra-omrade-form"
# The id of the new-plan page's form.
NEW_PLAN_FORM = "ny-plan-form"
# The longest name and heading of an utvecklingsområde.
AREA_TITLE_LIMIT = 2000
AREA_SECTION_LIMIT = 500


@router.get("/planer", response_class=HTMLResponse)
def plan_list(
    request: Request, web: WebDep, session: SessionDep, now: NowDep, user: UserDep
) -> HTMLResponse:
    summaries = [
        s
        for s in plan_service.summarise_plans(session, web.app.registry, web.today(now))
        if may_read(user, s.plan)
    ]
    states = web.app.registry.labels_in_order({k for s in summaries for k in s.by_label})
    return web.render(
        request,
        "plans/list.html",
        {
            "summaries": summaries,
            "states": states,
            # What the count column counts: "åtgärder", "åtgärder, kontroller och beslut".
            "kinds": nouns.plural(
                web.app.registry, sorted({w for s in summaries for w in s.workflows})
            ),
            "may_create": is_editor(user),
            "scope": forvaltning_scope(user) or "",
            "flash": pop_flash(request),
        },
    )


@router.get("/planer/ny", response_class=HTMLResponse)
def plan_new_form(request: Request, web: WebDep, user: EditorDep) -> HTMLResponse:
    return web.render(request, "plans/new.html", {"error": None, "values": {}})


@router.post("/planer/ny", dependencies=[CsrfChecked], response_model=None)
def plan_create(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    # Bounded by the body's limit, not the plan's: an overlong field is refused beside its
    # box with the rest kept (_plan_limits), not on the generic page for an overlong form.
    # The background's own limit is the body's: past it, only that page can answer (and it
    # keeps the text, as for an åtgärd's).
    title: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
    forvaltning: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
    namnd: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
    dnr: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
    background: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
) -> HTMLResponse | RedirectResponse:
    """A new plan; a refusal (no name, a field too long, a name taken) shows the form again
    with the reason beside its box and everything typed kept."""
    values = {
        "title": title,
        "forvaltning": forvaltning,
        "namnd": namnd,
        "dnr": dnr,
        "background": background,
    }
    # A chef creates plans in their own förvaltning; only an admin chooses another.
    forvaltning = forvaltning_scope(user) or forvaltning
    try:
        clean_title = required(title, "Planens namn")
        _plan_limits(clean_title, forvaltning.strip(), namnd.strip(), dnr.strip())
        exists = session.exec(
            select(Plan).where(Plan.title == clean_title, Plan.forvaltning == forvaltning.strip())
        ).first()
        if exists is not None:
            raise Refused(f"Det finns redan en plan som heter '{clean_title}' i förvaltningen.")
    except Refused as exc:
        error = FormError(exc.message, NEW_PLAN_FORM, field_of(exc.message))
        return web.render(
            request, "plans/new.html", {"error": error, "values": values}, status_code=422
        )
    plan = plan_service.create_plan(
        session,
        now=now,
        title=clean_title,
        forvaltning=forvaltning.strip(),
        namnd=namnd.strip(),
        dnr=dnr.strip(),
        background=background.strip(),
        chef_id=user.id,
    )
    flash(request, f"Planen '{plan.title}' är skapad. Lägg till utvecklingsområden och åtgärder.")
    return RedirectResponse(f"/planer/{plan.id}", status_code=303)


def _plan_limits(title: str, forvaltning: str, namnd: str, dnr: str) -> None:
    """Refused, naming the box, if a new plan's field is longer than the plan takes."""
    within(title, TEXT_LIMITS["title"], "Planens namn är för långt")
    within(forvaltning, TEXT_LIMITS["forvaltning"], "Förvaltningens namn är för långt")
    within(namnd, TEXT_LIMITS["namnd"], "Nämndens namn är för långt")
    within(dnr, TEXT_LIMITS["dnr"], "Diarienumret är för långt")


def plan_links(plan: Plan, user: Person) -> list[tuple[str, str]]:
    """Downloads and uploads offered on the plan page."""
    links = [
        ("Ladda ned som Excel (XLSX)", f"/planer/{plan.id}/export.xlsx"),
        ("Ladda ned som CSV", f"/planer/{plan.id}/export.csv"),
    ]
    if may_edit(user, plan):
        links.append(("Planens inställningar och mottagare", f"/planer/{plan.id}/installningar"))
        links.append(("Importera en fil", "/planer/import"))
    return links


def _owners(rows: list[ActionView]) -> list[Person]:
    seen: dict[int, Person] = {}
    for r in rows:
        if r.owner is not None and r.owner.id is not None:
            seen[r.owner.id] = r.owner
    return sorted(seen.values(), key=lambda p: p.name.casefold())


@dataclass(frozen=True)
class PlanQuery:
    """What the plan page is asked to show, all of it in the address: filters, a search and
    a sort order. Values that mean nothing are taken as not given."""

    lage: str = ""
    ansvarig: int | None = None
    forsenad: bool = False
    q: str = ""
    sortera: str = ""
    fallande: bool = False

    @classmethod
    def read(
        cls, lage: str, ansvarig: str, forsenad: str, q: str, sortera: str, ordning: str
    ) -> PlanQuery:
        return cls(
            lage=lage,
            ansvarig=optional_int(ansvarig),
            forsenad=bool(forsenad),
            q=" ".join(q.split()),
            sortera=sortera if sortera in SORTS else "",
            fallande=ordning == DESCENDING,
        )

    @classmethod
    def from_string(cls, query: str) -> PlanQuery:
        """The query as a form carried it back (the page's own query string)."""
        given = dict(parse_qsl(query))
        keys = ("lage", "ansvarig", "forsenad", "q", "sortera", "ordning")
        return cls.read(*(given.get(k, "")[:500] for k in keys))

    @property
    def filtered(self) -> bool:
        return bool(self.lage or self.ansvarig is not None or self.forsenad or self.q)

    def string(self) -> str:
        """The query string that asks for this view again ("" for the plain page)."""
        pairs = {
            "lage": self.lage,
            "ansvarig": "" if self.ansvarig is None else str(self.ansvarig),
            "forsenad": "1" if self.forsenad else "",
            "q": self.q,
            "sortera": self.sortera,
            "ordning": DESCENDING if self.fallande and self.sortera else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    def keeps(self, view: ActionView) -> bool:
        """The filters' part (the search is arrange's)."""
        return (
            (not self.lage or view.action.state == self.lage)
            and (self.ansvarig is None or view.action.owner_id == self.ansvarig)
            and (not self.forsenad or view.late)
        )


@router.get("/planer/{plan_id}", response_class=HTMLResponse)
def plan_page(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    lage: str = "",
    ansvarig: str = "",
    forsenad: str = "",
    q: str = "",
    sortera: str = "",
    ordning: str = "",
) -> HTMLResponse:
    plan = plan_service.get_plan(session, plan_id)
    require_read(user, plan)
    query = PlanQuery.read(lage, ansvarig, forsenad, q[:500], sortera, ordning)
    return _render_plan(request, web, session, plan, user, now, query)


def _plan_rows(
    web: Web, session: Session, plan: Plan, now: datetime
) -> tuple[list[Area], list[tuple[Area, ActionView]]]:
    """The plan's areas, and every åtgärd of it (in plan order) with its area."""
    assert plan.id is not None
    today = web.today(now)
    areas: list[Area] = []
    rows: list[tuple[Area, ActionView]] = []
    for area, actions in plan_service.plan_areas(session, plan.id):
        areas.append(area)
        rows.extend(
            (area, action_view(web.app.registry, a, p, today, area=area)) for a, p in actions
        )
    return areas, rows


def _grouped(
    areas: list[Area], shown: list[tuple[Area, ActionView]]
) -> list[tuple[Area, list[ActionView]]]:
    """The shown åtgärder under their areas, in plan order."""
    by_area: dict[int | None, list[ActionView]] = {a.id: [] for a in areas}
    for area, view in shown:
        by_area[area.id].append(view)
    return [(a, by_area[a.id]) for a in areas]


def _refused_form(
    request: Request,
    web: Web,
    session: Session,
    plan: Plan,
    user: Person,
    now: datetime,
    exc: Refused,
    form: str,
    typed: dict[str, str],
) -> HTMLResponse:
    """The plan page again after one of its add forms was refused: the reason beside the box
    it is about, and what was typed in the form."""
    return _render_plan(
        request,
        web,
        session,
        plan,
        user,
        now,
        PlanQuery.from_string(""),
        add_error=FormError(exc.message, form, field_of(exc.message)),
        added=typed,
        status_code=refusal_status(exc),
    )


def _render_plan(
    request: Request,
    web: Web,
    session: Session,
    plan: Plan,
    user: Person,
    now: datetime,
    query: PlanQuery,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    add_error: FormError | None = None,
    added: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The plan page; `error` and `typed`: a refused assignment of many; `add_error` and
    `added`: a refused new åtgärd, with what was typed in its form."""
    areas, rows = _plan_rows(web, session, plan, now)
    shown = arrange(
        [(a, v) for a, v in rows if query.keeps(v)],
        lambda row: listed(row[1], row[0]),
        query=query.q,
        sort=query.sortera,
        descending=query.fallande,
    )
    editable = may_edit(user, plan)
    return web.render(
        request,
        "plans/show.html",
        {
            "plan": plan,
            "areas": _grouped(areas, shown),
            "sorted_rows": shown if query.sortera else None,
            "query": query,
            "sorts": SORTS,
            "filtered": query.filtered,
            "shown": len(shown),
            "total": len(rows),
            "counted": nouns.counted(web.app.registry, (v.action.workflow for _, v in rows)),
            # "beslut" for a protokoll's plan: in "Visar 1 av 2 beslut", "Inga beslut ännu".
            "kinds": nouns.plural(web.app.registry, (v.action.workflow for _, v in rows)),
            "the_kinds": nouns.plural(
                web.app.registry, (v.action.workflow for _, v in rows), definite=True
            ),
            # For none of them: "Inga åtgärder eller beslut ännu", "Inga ... matchar".
            "no_kinds": nouns.plural(
                web.app.registry, (v.action.workflow for _, v in rows), joined="eller"
            ),
            # The column that names each item: "Beslut", "Åtgärd / kontroll".
            "heading": nouns.heading(web.app.registry, (v.action.workflow for _, v in rows)),
            # The table's caption: "Utvecklingsområden och beslut" for a protokoll's plan.
            "caption": nouns.plural(
                web.app.registry,
                (v.action.workflow for _, v in rows),
                first="Utvecklingsområden",
            ),
            "late": sum(1 for _, v in rows if v.late),
            "late_word": nouns.late(
                web.app.registry, (v.action.workflow for _, v in rows if v.late)
            ),
            "withdrawn": sum(1 for _, v in rows if v.withdrawn),
            "states": web.app.registry.state_choices({v.action.workflow for _, v in rows}),
            "owners": _owners([v for _, v in rows]),
            "may_edit": editable,
            "persons": owner_candidates(session, plan) if editable else [],
            "plan_links": plan_links(plan, user),
            "flash": pop_flash(request),
            "error": error,
            "typed": typed or {},
            "add_error": add_error,
            "added": added or {},
        },
        status_code=status_code,
    )


_PICK = re.compile(r"^([0-9]{1,10}):([0-9]{1,10})$")


def _picks(values: list[str]) -> list[Pick]:
    """The ticked åtgärder, each sent as "id:version" (the version the page showed)."""
    picks = []
    for value in values:
        found = _PICK.match(value)
        if found is None:
            raise Refused(INCOMPLETE_MESSAGE)
        action_id, version = int(found[1]), int(found[2])
        if not (1 <= action_id <= ID_LIMIT and version < VERSION_LIMIT):
            raise Refused(INCOMPLETE_MESSAGE)
        picks.append(Pick(action_id, version))
    return picks


def _assigned_message(done: Assigned, typed_name: str) -> str:
    owner = done.owner
    if not done.assigned:
        parts = [f"Ingenting ändrades: {owner.name} var redan ansvarig för de valda åtgärderna."]
    else:
        given = count(len(done.assigned), "åtgärd", "åtgärder")
        parts = [f"{owner.name} ({owner.email}) är nu ansvarig för {given}."]
    parts.append(people.unused_name_note(owner, typed_name))
    if done.assigned:
        parts.append("Ett e-postmeddelande ligger i utkorgen.")
    if done.already:
        parts.append(f"{count(len(done.already), 'åtgärd', 'åtgärder')} hade redan {owner.name}.")
    return " ".join(p for p in parts if p)


@router.post("/planer/{plan_id}/ansvariga", dependencies=[CsrfChecked], response_model=None)
def bulk_assign(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    atgard: Annotated[list[str] | None, Form()] = None,
    person_id: Annotated[str, Form(max_length=20)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    sida: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Give the ticked åtgärder one owner: an event each, one e-mail to the owner, one
    transaction (a refusal keeps none of it)."""
    plan = plan_service.get_plan(session, plan_id)
    require_edit(user, plan)
    query = PlanQuery.from_string(sida)
    try:
        owner = choose_owner(
            session, plan, person_id=optional_int(person_id), email=email, name=name, now=now
        )
        done = assign_many(
            session,
            web.app.registry,
            web.app.settings,
            plan,
            _picks(atgard or []),
            owner,
            now=now,
            actor=user,
        )
        queue_assignments(
            session,
            web.app.registry,
            web.app.settings,
            owner,
            plan,
            done.assigned,
            now=now,
            assigned_by=user,
        )
    except TrackerError as exc:
        undo(session)
        return _render_plan(
            request,
            web,
            session,
            plan,
            user,
            now,
            query,
            error=exc.message,
            typed={"person_id": person_id, "email": email, "name": name},
            status_code=refusal_status(exc),
        )
    flash(request, _assigned_message(done, name))
    back = query.string()
    return RedirectResponse(f"/planer/{plan_id}" + (f"?{back}" if back else ""), status_code=303)


@router.get("/planer/{plan_id}/omraden/{area_id}", response_class=HTMLResponse)
def area_page(
    request: Request,
    plan_id: PathId,
    area_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
) -> HTMLResponse:
    plan = plan_service.get_plan(session, plan_id)
    require_read(user, plan)
    return _render_area(request, web, session, plan, area_id, user, now)


def _render_area(
    request: Request,
    web: Web,
    session: Session,
    plan: Plan,
    area_id: int,
    user: Person,
    now: datetime,
    *,
    error: FormError | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    assert plan.id is not None
    area = area_service.get_area(session, plan.id, area_id)
    _, rows = _plan_rows(web, session, plan, now)
    here = [v for a, v in rows if a.id == area.id]
    # What the area holds by its nouns ("Beslut"), or for an empty one what the plan holds:
    # "Åtgärder och beslut" over "Inga åtgärder eller beslut ännu".
    kinds = [v.action.workflow for v in here] or [v.action.workflow for _, v in rows]
    return web.render(
        request,
        "plans/area.html",
        {
            "plan": plan,
            "area": area,
            "rows": here,
            "kinds": nouns.plural(web.app.registry, kinds),
            "no_kinds": nouns.plural(web.app.registry, kinds, joined="eller"),
            "events": area_service.history(session, area_id),
            "labels": area_service.FIELD_LABELS,
            "may_edit": may_edit(user, plan),
            "error": error,
            "typed": typed or {"title": area.title, "section": area.section},
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


@router.post(
    "/planer/{plan_id}/omraden/{area_id}/andra", dependencies=[CsrfChecked], response_model=None
)
def area_edit(
    request: Request,
    plan_id: PathId,
    area_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    # Bounded by the body's limit, as area_add's are: an overlong name is refused beside its
    # box with what was typed kept.
    title: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
    section: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
) -> Response:
    """The area's name and heading changed; a refusal shows the area's page again with the
    reason beside its box and what was typed kept."""
    plan = plan_service.get_plan(session, plan_id)
    require_edit(user, plan)
    area = area_service.get_area(session, plan_id, area_id)
    try:
        _area_limits(title.strip(), section.strip())
        changes = area_service.edit_area(
            session, area, title=title, section=section, now=now, actor=user
        )
    except Refused as exc:
        undo(session)
        return _render_area(
            request,
            web,
            session,
            plan,
            area_id,
            user,
            now,
            error=FormError(exc.message, EDIT_AREA_FORM, field_of(exc.message)),
            typed={"title": title, "section": section},
            status_code=refusal_status(exc),
        )
    flash(request, "Utvecklingsområdet är ändrat." if changes else "Inget var ändrat.")
    return RedirectResponse(f"/planer/{plan_id}/omraden/{area_id}", status_code=303)


@router.post("/planer/{plan_id}/omraden", dependencies=[CsrfChecked], response_model=None)
def area_add(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    # Bounded by the body's limit, not the area's: an overlong name is refused beside its
    # box with the rest kept, not on the generic page for an overlong form.
    title: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
    section: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
) -> Response:
    """A new utvecklingsområde; a refusal (no name, one too long) shows the plan again with
    the reason beside its box and what was typed kept."""
    plan = plan_service.get_plan(session, plan_id)
    require_edit(user, plan)
    try:
        clean = _area_title(title, section)
    except Refused as exc:
        typed = {"title": title, "section": section}
        return _refused_form(request, web, session, plan, user, now, exc, NEW_AREA_FORM, typed)
    known = session.exec(select(Area).where(Area.plan_id == plan.id, Area.title == clean)).first()
    area = plan_service.ensure_area(session, plan, clean, section=section)
    if known is None:
        flash(request, f"Utvecklingsområdet '{area.title}' är tillagt.")
    else:
        flash(request, f"Utvecklingsområdet '{area.title}' fanns redan.")
    return RedirectResponse(f"/planer/{plan_id}#omrade-{area.id}", status_code=303)


def _area_title(title: str, section: str) -> str:
    """The new area's name, stripped; Refused, naming the box, if it cannot be used."""
    clean = required(title, "Utvecklingsområdets namn")
    _area_limits(clean, section)
    return clean


def _area_limits(title: str, section: str) -> None:
    """Refused, naming the box, if an area's name or heading is longer than it takes."""
    within(title, AREA_TITLE_LIMIT, "Utvecklingsområdets namn är för långt")
    within(section, AREA_SECTION_LIMIT, "Rubriken ovanför är för lång")


@router.post("/planer/{plan_id}/atgarder", dependencies=[CsrfChecked])
def action_add(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    area_id: FormId,
    text: Annotated[str, Form(max_length=20_000)] = "",
    tidsplan: Annotated[str, Form(max_length=2000)] = "",
    due_on: Annotated[str, Form()] = "",
    evaluate_on: Annotated[str, Form()] = "",
    owner_email: Annotated[str, Form(max_length=320)] = "",
    owner_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A new åtgärd, and its owner told; a refusal (a mistyped address, a date) shows the
    plan again with the reason beside its box and everything typed kept."""
    plan = plan_service.get_plan(session, plan_id)
    require_edit(user, plan)
    try:
        area = session.get(Area, area_id)
        if area is None or area.plan_id != plan.id:
            raise Refused("Välj ett utvecklingsområde i den här planen.")
        clean_text = required(text, "Åtgärden")
        due = parse_date(due_on, "Klart till")
        evaluate = parse_date(evaluate_on, "Utvärderas")
        owner = None
        if owner_email.strip():
            owner = people.ensure_person(
                session, owner_email, now=now, name=owner_name, forvaltning=plan.forvaltning
            )
        action = plan_service.add_action(
            session,
            web.app.registry,
            area,
            now=now,
            text=clean_text,
            actor=user,
            tidsplan=tidsplan.strip(),
            due_on=due,
            evaluate_on=evaluate,
        )
    except Refused as exc:
        undo(session)
        typed = {
            "area_id": str(area_id),
            "text": text,
            "tidsplan": tidsplan,
            "due_on": due_on,
            "evaluate_on": evaluate_on,
            "owner_email": owner_email,
            "owner_name": owner_name,
        }
        return _refused_form(request, web, session, plan, user, now, exc, NEW_ACTION_FORM, typed)
    assert action.id is not None
    message = checked_dates("Åtgärden är tillagd.", action.tidsplan, due, evaluate)
    if owner is not None:
        message += " " + assign_with_link(
            session,
            web.app.registry,
            web.app.settings,
            action,
            plan,
            owner,
            now=now,
            assigned_by=user,
            typed_name=owner_name,
        )
    flash(request, message)
    return RedirectResponse(f"/atgarder/{action.id}", status_code=303)
