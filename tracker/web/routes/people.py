"""People for the chef and admin: the people of their förvaltning with their open and late
åtgärder, one person's page, adding a person, changing a role, sending a person's link again
and revoking their links; and, on a chef's own page, their choice of a daily summary.

Changing a role and revoking links each end a person's log-ins and cannot be undone by a
click, so each goes through a confirmation page: the page's button posts with `bekraftat`,
and a post without it (an older page's single button) only leads to that page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from tracker.domain import nouns
from tracker.domain.roles import (
    LOGIN_ROLES,
    forvaltning_scope,
    may_change_role,
    may_choose_daily_summary,
    may_give_role,
    may_move_person,
    may_read,
    may_rename,
    may_revoke_links,
    may_see_person,
    may_send_link,
    roles_to_give,
)
from tracker.errors import Forbidden, NotFound, Refused, TrackerError
from tracker.models import Action, Person, Plan, Role
from tracker.models.person import ROLE_LABELS
from tracker.services import directory, handover, people, person_moves
from tracker.services.access import change_role, revoke_links
from tracker.services.link_mail import link_mail_allowed, queue_login_link, queue_owner_link
from tracker.services.overview import readable_plan_ids
from tracker.web.deps import (
    CsrfChecked,
    EditorDep,
    NowDep,
    SessionDep,
    Web,
    WebDep,
    flash,
    pop_flash,
    refusal_status,
    undo,
)
from tracker.web.routes import PathId
from tracker.web.security import safe_next
from tracker.web.views import action_view

router = APIRouter()

# The value of `bekraftat` that the confirmation pages post.
CONFIRMED = "ja"
OTHER_FORVALTNING = "Personen hör till en annan förvaltning."
NO_ROLE_CHANGE = (
    "Du kan ändra roll för personer i din förvaltning, men inte din egen eller en administratörs."
)
NO_RENAME = (
    "Du kan ändra namn på dig själv och på personer i din förvaltning, men inte på en "
    "administratör."
)
ONLY_ADMIN_GIVES_ADMIN = "Bara en administratör kan göra någon till administratör."
NO_REVOKE = (
    "Du kan återkalla länkar för ansvariga i din förvaltning; en chefs eller läsares "
    "länkar återkallar en administratör."
)


def role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:  # a role no longer known is shown as stored
        return role


def _scope_note(person: Person) -> str:
    """What a chef or reader of no förvaltning may do, said when they are made so: the whole
    kommun is theirs (roles.forvaltning_scope), which a forgotten box must not give unseen."""
    if person.forvaltning or person.role not in (Role.chef.value, Role.board.value):
        return ""
    changes = " och ändra dem" if person.role == Role.chef.value else ""
    return (
        f" Utan förvaltning kan {person.name} läsa alla förvaltningars planer{changes}; ange "
        "en förvaltning på personens sida om det inte är meningen."
    )


def _person(session: Session, person_id: int) -> tuple[Person, list[Plan]]:
    """The person and the plans they own åtgärder in (what the rules about them ask)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"Ingen person med nummer {person_id}.")
    return person, directory.owned_plans(session, person_id).get(person_id, [])


def _role(value: str, user: Person, person: Person | None = None) -> Role:
    """The role a form names, if `user` may give it (to `person`; a new person is of the
    förvaltning `user` adds them to)."""
    try:
        role = Role(value)
    except ValueError:
        raise Refused("Välj en av rollerna i listan.") from None
    if role not in roles_to_give(user):
        raise Forbidden(ONLY_ADMIN_GIVES_ADMIN)
    if person is not None and not may_give_role(user, person, role):
        raise Forbidden(
            f"{person.name} hör inte till {user.forvaltning}. En roll med inloggning ger du "
            "bara personer i din egen förvaltning."
        )
    return role


# --- the list and adding a person ---------------------------------------------------------


@router.get("/personer", response_class=HTMLResponse)
def people_page(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    forvaltning: str = "",
) -> HTMLResponse:
    return _render_list(request, web, session, now, user, forvaltning)


def _render_list(
    request: Request,
    web: Web,
    session: Session,
    now: datetime,
    user: Person,
    forvaltning: str,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    # A chef's own förvaltning is the list; only someone of every förvaltning chooses one.
    choose = forvaltning_scope(user) is None
    chosen = forvaltning.strip() if choose else ""
    found = directory.visible_people(session, user, chosen or None)
    rows = directory.person_rows(
        session, web.app.registry, found, readable_plan_ids(session, user), web.today(now)
    )
    return web.render(
        request,
        "people/list.html",
        {
            "rows": rows,
            # What the open ones are: "åtgärder", "åtgärder och kontroller".
            "open_kinds": nouns.plural(
                web.app.registry, sorted({w for r in rows for w in r.open_workflows})
            ),
            "role_label": role_label,
            "choose": choose,
            "scope": forvaltning_scope(user) or "",
            "forvaltningar": directory.forvaltningar(session) if choose else [],
            "chosen": chosen,
            "roles": [(r.value, ROLE_LABELS[r]) for r in roles_to_give(user)],
            "error": error,
            "values": values or {"role": Role.owner.value},
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


@router.post("/personer", dependencies=[CsrfChecked], response_model=None)
def person_add(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    email: Annotated[str, Form(max_length=320)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    forvaltning: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    values = {"email": email, "name": name, "role": role, "forvaltning": forvaltning}
    try:
        person = people.add_person(
            session,
            email,
            now=now,
            name=name,
            role=_role(role, user),
            # A chef adds people to their own förvaltning; only an admin chooses another.
            forvaltning=forvaltning_scope(user) or forvaltning,
        )
    except Forbidden:
        raise
    except TrackerError as exc:
        undo(session)
        return _render_list(
            request,
            web,
            session,
            now,
            user,
            "",
            error=exc.message,
            values=values,
            status_code=refusal_status(exc),
        )
    flash(
        request,
        f"{person.name} är tillagd som {role_label(person.role).lower()}.{_scope_note(person)}",
    )
    return RedirectResponse(f"/personer/{person.id}", status_code=303)


# --- one person ---------------------------------------------------------------------------


def _owned(session: Session, person: Person) -> list[tuple[Action, Plan]]:
    """The person's åtgärder with their plans."""
    return list(
        session.exec(
            select(Action, Plan)
            .join(Plan, col(Plan.id) == Action.plan_id)
            .where(Action.owner_id == person.id)
            .order_by(col(Plan.id), col(Action.area_id), col(Action.position))
        ).all()
    )


@router.get("/personer/{person_id}", response_class=HTMLResponse)
def person_page(
    request: Request,
    person_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
) -> HTMLResponse:
    return _render_person(request, web, session, now, user, person_id)


def _render_person(
    request: Request,
    web: Web,
    session: Session,
    now: datetime,
    user: Person,
    person_id: int,
    *,
    move_error: str | None = None,
    typed_forvaltning: str | None = None,
    handover_error: str | None = None,
    typed_successor: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """The person's page; `move_error` and `typed_forvaltning`: a refused move, with the
    förvaltning as typed; `handover_error` and `typed_successor`: a refused hand-over, with
    the address as typed."""
    person, plans = _person(session, person_id)
    if not may_see_person(user, person, plans):
        raise Forbidden(OTHER_FORVALTNING)
    today = web.today(now)
    items = [
        action_view(web.app.registry, a, person, today, plan=p)
        for a, p in _owned(session, person)
        if may_read(user, p)
    ]
    [row] = directory.person_rows(
        session, web.app.registry, [person], readable_plan_ids(session, user), today
    )
    changeable = may_change_role(user, person, plans)
    return web.render(
        request,
        "people/show.html",
        {
            "person": person,
            "row": row,
            "open_kinds": nouns.plural(web.app.registry, sorted(row.open_workflows)),
            "role_label": role_label(person.role),
            "items": items,
            "may_revoke": may_revoke_links(user, person, plans),
            "may_send": may_send_link(user, person, plans),
            "may_rename": may_rename(user, person, plans),
            "may_move": may_move_person(user),
            "forvaltningar": directory.forvaltningar(session) if may_move_person(user) else [],
            "move_error": move_error,
            "typed_forvaltning": typed_forvaltning,
            "handover_error": handover_error,
            "typed_successor": typed_successor,
            "successors": [p for p in directory.visible_people(session, user) if p.id != person.id],
            "may_choose_summary": may_choose_daily_summary(user, person),
            "roles": [
                (r.value, ROLE_LABELS[r])
                for r in roles_to_give(user)
                if changeable and r.value != person.role and may_give_role(user, person, r)
            ],
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


# --- changing a name ----------------------------------------------------------------------


@router.post("/personer/{person_id}/namn", dependencies=[CsrfChecked])
def person_rename(
    request: Request,
    person_id: PathId,
    session: SessionDep,
    user: EditorDep,
    name: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    person, plans = _person(session, person_id)
    if not may_rename(user, person, plans):
        raise Forbidden(NO_RENAME)
    old = people.rename(session, person, name, actor_id=user.id)
    flash(
        request,
        f"{old or person.email} heter nu {person.name}, i alla planer och i kommande e-post.",
    )
    return RedirectResponse(f"/personer/{person_id}", status_code=303)


# --- moving a person to another förvaltning --------------------------------------------


@router.post("/personer/{person_id}/forvaltning", dependencies=[CsrfChecked])
def person_move(
    request: Request,
    person_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    forvaltning: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    person, _ = _person(session, person_id)
    if not may_move_person(user):
        raise Forbidden("Bara en administratör flyttar en person till en annan förvaltning.")
    try:
        old = person_moves.move_person(session, person, forvaltning, now=now, actor=user)
    except Refused as exc:
        undo(session)
        return _render_person(
            request,
            web,
            session,
            now,
            user,
            person_id,
            move_error=exc.message,
            typed_forvaltning=forvaltning,
            status_code=refusal_status(exc),
        )
    if old == person.forvaltning:
        flash(request, f"{person.name} hör redan till {old or 'ingen förvaltning'}.")
    else:
        flash(
            request,
            f"{person.name} hör nu till {person.forvaltning or 'ingen förvaltning'} "
            f"(tidigare {old or 'ingen förvaltning'}).{_scope_note(person)}",
        )
    return RedirectResponse(f"/personer/{person_id}", status_code=303)


# --- handing over all a person owns ------------------------------------------------------


@router.post("/personer/{person_id}/lamna-over", dependencies=[CsrfChecked], response_model=None)
def person_hand_over(
    request: Request,
    person_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    till: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """All the person owns and has not finished, in the plans the user may edit, to another
    person at once (services.handover); a refusal shows the page again with what was typed."""
    person, plans = _person(session, person_id)
    if not may_see_person(user, person, plans):
        raise Forbidden(OTHER_FORVALTNING)
    try:
        done = handover.hand_over(
            session, web.app.registry, web.app.settings, person, till, now=now, actor=user
        )
    except Refused as exc:
        undo(session)
        return _render_person(
            request,
            web,
            session,
            now,
            user,
            person_id,
            handover_error=exc.message,
            typed_successor=till,
            status_code=refusal_status(exc),
        )
    flash(request, handover.confirmation(web.app.registry, done))
    # Someone of no förvaltning whose last items in the chef's plans were just handed over
    # is no longer the chef's to see: the list says what was done, not a refusal.
    session.flush()
    if not may_see_person(user, person, _person(session, person_id)[1]):
        return RedirectResponse("/personer", status_code=303)
    return RedirectResponse(f"/personer/{person_id}", status_code=303)


# --- changing a role ----------------------------------------------------------------------


def _changeable(session: Session, person_id: int, user: Person) -> Person:
    person, plans = _person(session, person_id)
    if not may_change_role(user, person, plans):
        raise Forbidden(NO_ROLE_CHANGE)
    return person


@router.get("/personer/{person_id}/roll", response_class=HTMLResponse)
def role_confirm(
    request: Request,
    person_id: PathId,
    web: WebDep,
    session: SessionDep,
    user: EditorDep,
    roll: str = "",
) -> HTMLResponse:
    person = _changeable(session, person_id, user)
    role = _role(roll, user, person)
    if person.role == role.value:
        raise Refused(f"{person.name} har redan rollen {ROLE_LABELS[role].lower()}.")
    return web.render(
        request,
        "confirm.html",
        {
            "title": f"Ändra roll för {person.name}",
            "crumbs": _crumbs(person),
            "what": (
                f"{person.name} ({person.email}) får rollen {ROLE_LABELS[role].lower()} i "
                f"stället för {role_label(person.role).lower()}."
            ),
            "consequence": (
                "Alla pågående inloggningar för personen avslutas direkt. Med den nya rollen "
                "loggar personen in på nytt."
            ),
            "action": f"/personer/{person.id}/roll",
            "fields": {"roll": role.value},
            "button": f"Ändra rollen till {ROLE_LABELS[role].lower()}",
            "back": f"/personer/{person.id}",
        },
    )


@router.post("/personer/{person_id}/roll", dependencies=[CsrfChecked])
def role_change(
    request: Request,
    person_id: PathId,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    roll: Annotated[str, Form(max_length=20)] = "",
    bekraftat: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    person = _changeable(session, person_id, user)
    role = _role(roll, user, person)
    if bekraftat != CONFIRMED:
        query = urlencode({"roll": role.value})
        return RedirectResponse(f"/personer/{person_id}/roll?{query}", status_code=303)
    if person.role == role.value:
        flash(request, f"{person.name} har redan rollen {ROLE_LABELS[role].lower()}.")
    else:
        change_role(session, person, role, now=now)
        flash(
            request,
            f"{person.name} har nu rollen {ROLE_LABELS[role].lower()}. Personens "
            "inloggningar har avslutats.",
        )
    return RedirectResponse(f"/personer/{person_id}", status_code=303)


# --- one's own daily summary -----------------------------------------------------------

# The form's values; anything else is refused.
SUMMARY_CHOICES = {"pa": True, "av": False}


@router.post("/personer/mig/dagssammanfattning", dependencies=[CsrfChecked])
def daily_summary_choice(
    request: Request,
    session: SessionDep,
    user: EditorDep,
    dagssammanfattning: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    # No person number in the path: whoever is logged in changes their own choice only.
    assert user.id is not None
    person, _ = _person(session, user.id)
    if not may_choose_daily_summary(user, person):
        raise Forbidden("Dagssammanfattningen väljer var och en själv.")
    on = SUMMARY_CHOICES.get(dagssammanfattning)
    if on is None:
        raise Refused("Välj om du vill få dagssammanfattningen eller inte.")
    people.set_daily_summary(session, person, on=on)
    flash(
        request,
        "Du får en dagssammanfattning varje arbetsdag när ansvariga har rapporterat i dina planer."
        if on
        else "Du får inte längre någon dagssammanfattning.",
    )
    return RedirectResponse(f"/personer/{person.id}", status_code=303)


# --- links --------------------------------------------------------------------------------


def _crumbs(person: Person) -> list[tuple[str, str]]:
    return [("Personer", "/personer"), (person.name, f"/personer/{person.id}")]


def _revocable(session: Session, person_id: int, user: Person) -> Person:
    person, plans = _person(session, person_id)
    if not may_revoke_links(user, person, plans):
        raise Forbidden(NO_REVOKE)
    return person


@router.get("/personer/{person_id}/aterkalla-lankar", response_class=HTMLResponse)
def revoke_confirm(
    request: Request,
    person_id: PathId,
    web: WebDep,
    session: SessionDep,
    user: EditorDep,
    tillbaka: str = "",
) -> HTMLResponse:
    person = _revocable(session, person_id, user)
    back = safe_next(tillbaka, f"/personer/{person.id}")
    return web.render(
        request,
        "confirm.html",
        {
            "title": f"Återkalla länkar för {person.name}",
            "crumbs": _crumbs(person),
            "what": f"Alla länkar som skickats till {person.email} hittills slutar fungera.",
            "consequence": (
                "Pågående inloggningar för personen avslutas direkt. En ny länk kan skickas "
                "efteråt."
            ),
            "action": f"/personer/{person.id}/aterkalla-lankar",
            "fields": {"tillbaka": back},
            "button": "Återkalla alla länkar",
            "back": back,
        },
    )


@router.post("/personer/{person_id}/aterkalla-lankar", dependencies=[CsrfChecked])
def person_revoke_links(
    request: Request,
    person_id: PathId,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    tillbaka: Annotated[str, Form(max_length=2000)] = "",
    bekraftat: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    person = _revocable(session, person_id, user)
    back = safe_next(tillbaka, f"/personer/{person_id}")
    if bekraftat != CONFIRMED:
        query = urlencode({"tillbaka": back})
        return RedirectResponse(f"/personer/{person_id}/aterkalla-lankar?{query}", status_code=303)
    revoke_links(session, person, now=now)
    flash(
        request,
        f"Alla länkar som skickats till {person.email} hittills fungerar inte längre. "
        "En ny länk kan skickas när som helst.",
    )
    return RedirectResponse(back, status_code=303)


@router.post("/personer/{person_id}/skicka-lank", dependencies=[CsrfChecked])
def person_send_link(
    request: Request,
    person_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
) -> RedirectResponse:
    person, plans = _person(session, person_id)
    if not may_send_link(user, person, plans):
        raise Forbidden(OTHER_FORVALTNING)
    settings = web.app.settings
    # The hourly limit of link e-mails to one address holds whoever asks.
    if not link_mail_allowed(session, settings, person, now):
        raise Refused(
            f"Det har redan skickats {settings.link_requests_per_hour} länkar till "
            f"{person.email} den senaste timmen. Försök igen om en stund."
        )
    if person.role in LOGIN_ROLES:
        queue_login_link(session, settings, person, now=now)
        flash(request, f"En inloggningslänk till {person.email} ligger i utkorgen.")
    else:
        queue_owner_link(session, web.app.registry, settings, person, now=now)
        flash(request, f"En ny länk till {person.email} ligger i utkorgen.")
    return RedirectResponse(f"/personer/{person_id}", status_code=303)
