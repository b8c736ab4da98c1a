"""The start page after log-in: per plan the reader may read, the late åtgärder, those without
an owner, those whose owner has not answered, the evaluations coming up and the next
återrapport; and the list each number links to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from tracker.domain import nouns
from tracker.domain.roles import Role, forvaltning_scope, is_editor, may_edit
from tracker.domain.schedule import SCHEDULE_LABELS, ScheduleStatus
from tracker.domain.workdays import WorkCalendar
from tracker.errors import NotFound
from tracker.models import Person
from tracker.models.base import ID_LIMIT
from tracker.services import absences, directory, escalations, overview, reports
from tracker.services import plans as plan_service
from tracker.services.overview import Selection, Window
from tracker.services.plans import ActionRow
from tracker.services.report_schedule import coming_reports
from tracker.web.deps import (
    NowDep,
    SessionDep,
    UserDep,
    Web,
    WebDep,
    pop_flash,
    require_read,
)
from tracker.web.routes.reports import report_rows
from workflows import WorkflowRegistry

router = APIRouter()


def headings(win: Window) -> dict[Selection, str]:
    """The start page's column for each selection."""
    return {
        Selection.late: "Försenade",
        Selection.without_owner: "Utan ansvarig",
        Selection.unanswered: f"Har inte svarat på {win.unanswered_days} dagar",
        Selection.evaluation: f"Utvärderas inom {win.evaluation_days} dagar",
    }


def explanation(selection: Selection, win: Window, kinds: str = "åtgärder") -> str:
    """What the list page of a selection shows, in full; `kinds` are what its items are
    called together ("kontroller", "åtgärder och beslut": tracker.domain.nouns)."""
    them = kinds[:1].upper() + kinds[1:]
    if selection is Selection.late:
        return (
            f"{them} som är försenade i dag, {win.today.isoformat()}: klart-datumet har "
            "passerats utan att de är klara, eller utvärderingsdatumet utan att de är "
            "utvärderade."
        )
    if selection is Selection.without_owner:
        return f"{them} som inte är klara och inte har någon ansvarig."
    if selection is Selection.unanswered:
        return (
            f"{them} som inte är klara, vars ansvariga varken har skrivit ett processläge, "
            f"ändrat läget eller fått dem de senaste {win.unanswered_days} dagarna."
        )
    return (
        f"{them} som ska utvärderas från i dag, {win.today.isoformat()}, till och med "
        f"{win.evaluation_until.isoformat()} och inte är utvärderade."
    )


@dataclass(frozen=True)
class RefusedAcknowledgement:
    """What a refused kvittera form on the start page carried, shown again with the reason."""

    action_id: int
    reason: str
    comment: str
    new_date: str


# A nämnd member's start page lists this many of the latest återrapporter; the rest are
# one link away.
LATEST_REPORTS = 5


@router.get("/start", response_class=HTMLResponse)
def start_page(
    request: Request, web: WebDep, session: SessionDep, now: NowDep, user: UserDep
) -> HTMLResponse:
    return render_start(request, web, session, now, user)


def render_start(
    request: Request,
    web: Web,
    session: Session,
    now: datetime,
    user: Person,
    *,
    refused: RefusedAcknowledgement | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The start page; after a refused acknowledgement, with its reason and what was typed."""
    win = overview.window(web.app.settings, now)
    plans = overview.readable_plans(session, user)
    coming = coming_reports(
        session,
        web.app.registry,
        plans,
        today=win.today,
        tz=web.app.tz,
        cal=WorkCalendar(),
        fallback_draft_days=web.app.settings.report_draft_days_before,
    )
    pending = escalations.pending_for(
        session, web.app.registry, user, WorkCalendar(), today=win.today
    )
    # A nämnd member reads what reaches the nämnd: its latest återrapporter first, and the
    # meetings the next ones go to, without the förvaltning's own deadlines for them.
    board = user.role == Role.board
    latest = report_rows(web, session, user, reports.list_reports(session)) if board else []
    return web.render(
        request,
        "start/start.html",
        {
            "numbers": overview.plan_numbers(session, web.app.registry, plans, win),
            # What the numbers count: "åtgärderna", "åtgärderna och kontrollerna".
            "counted_kinds": nouns.plural(
                web.app.registry,
                overview.workflows_in(session, [p.id for p in plans if p.id is not None]),
                definite=True,
            ),
            "headings": headings(win),
            "flash": pop_flash(request),
            "coming": coming,
            "next_by_plan": {r.plan.id: r.occasion.meeting_on for r in coming},
            "today": win.today,
            # Escalations waiting for an answer that this person may acknowledge.
            "escalations": pending,
            # What they are called together: "kontrollerna", "åtgärderna och besluten".
            "escalated_kinds": nouns.plural(
                web.app.registry, (p.action.workflow for p in pending), definite=True
            ),
            "absence": absences.today_for(session, user, today=win.today),
            "board": board,
            # What an empty page says: whose plans there are none of, and who can add one.
            "scope": forvaltning_scope(user) or "",
            "may_create": is_editor(user),
            "latest_reports": latest[:LATEST_REPORTS],
            "more_reports": len(latest) > LATEST_REPORTS,
            "refused": refused,
            # Plans the person leads whose escalations reach no chef: told to those who can
            # mend it (an admin adds a chef), or at least see it.
            "without_chef": directory.without_chef(
                session, [p for p in plans if may_edit(user, p)]
            ),
        },
        status_code=status_code,
    )


@dataclass(frozen=True)
class ListedAction:
    row: ActionRow
    state_label: str
    schedule: ScheduleStatus
    schedule_label: str

    @property
    def late(self) -> bool:
        return self.schedule is not ScheduleStatus.on_track


def _listed(registry: WorkflowRegistry, row: ActionRow, win: Window) -> ListedAction:
    status = plan_service.status_of(registry, row, win.today)
    state = registry.get(row.workflow).definition.state(row.state)
    return ListedAction(row, state.label, status, SCHEDULE_LABELS[status])


def _selection(value: str) -> Selection:
    try:
        return Selection(value)
    except ValueError:
        raise NotFound("Det finns inget sådant urval av åtgärder.") from None


@router.get("/atgarder", response_class=HTMLResponse)
def action_list(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    plan: Annotated[int, Query(ge=1, le=ID_LIMIT)],
    urval: str = "",
) -> HTMLResponse:
    found = plan_service.get_plan(session, plan)
    require_read(user, found)
    selection = _selection(urval)
    win = overview.window(web.app.settings, now)
    registry = web.app.registry
    rows = overview.selected(session, registry, selection, plan, win)
    return web.render(
        request,
        "start/actions.html",
        {
            "plan": found,
            "heading": headings(win)[selection],
            "explanation": explanation(
                selection, win, nouns.plural(registry, (r.workflow for r in rows))
            ),
            "counted": nouns.counted(registry, (r.workflow for r in rows)),
            # The column that names each item: "Beslut", "Åtgärd / kontroll".
            "column": nouns.heading(registry, (r.workflow for r in rows)),
            "items": [_listed(registry, r, win) for r in rows],
        },
    )
