"""The API's endpoints: plans, åtgärder and their history, återrapporter and their archived
files, and the kommun's overview. Every one reads only, with the token's reader."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.types import Scope

from tracker.domain.roles import forvaltning_scope, may_see_overview
from tracker.errors import NotFound, Refused
from tracker.models.base import ID_LIMIT
from tracker.services import kommun, reports
from tracker.web.api import models as out
from tracker.web.api import reading
from tracker.web.api.auth import ReaderDep
from tracker.web.deps import NowDep, SessionDep, WebDep
from tracker.web.downloads import content_disposition
from tracker.web.routes import PathId
from workflows import WorkflowRegistry

PREFIX = "/api/v1"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500

router = APIRouter()

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Rader per sida, högst {MAX_LIMIT}.")]
After = Annotated[
    int,
    Query(ge=0, le=ID_LIMIT, description="Sidan börjar efter raden med detta id (se `next`)."),
]
Forvaltning = Annotated[str | None, Query(max_length=200, description="Bara denna förvaltning.")]
PlanFilter = Annotated[int | None, Query(ge=1, le=ID_LIMIT, description="Bara denna plan.")]

_ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"model": out.Problem, "description": "Ingen giltig API-nyckel."},
    404: {
        "model": out.Problem,
        "description": "Finns inte, eller ingår inte i nyckelns behörighet.",
    },
    422: {"model": out.Problem, "description": "En parameter har fel värde."},
}


def own_path(scope: Scope) -> str:
    """The path within the API: Starlette keeps the whole path in a mounted app's scope, with
    the mount's prefix in root_path."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _next_link(request: Request, more: bool, last: int | None) -> str | None:
    if not more or last is None:
        return None
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
    params.append(("after", str(last)))
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
    return f"{PREFIX}{own_path(request.scope)}?{query}"


def _state_id(registry: WorkflowRegistry, typed: str) -> str:
    """A state as `tracker action list --state` takes it: its id or its label."""
    found = {
        r
        for n in registry.names()
        if (r := registry.get(n).definition.resolve_state(typed)) is not None
    }
    if not found:
        known = ", ".join(f"{s.label} ({s.id})" for s in registry.get("atgard").definition.states)
        raise Refused(f"Okänt läge '{typed}'. Kända lägen: {known}.")
    return found.pop()


@router.get("/plans", response_model=out.PlanPage, responses=_ANSWERS, summary="Åtgärdsplaner")
def list_plans(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    reader: ReaderDep,
    forvaltning: Forvaltning = None,
    limit: Limit = DEFAULT_LIMIT,
    after: After = 0,
) -> out.PlanPage:
    items, more = reading.plan_page(
        session,
        web.app.registry,
        reader,
        today=web.today(now),
        forvaltning=forvaltning,
        after=after,
        limit=limit,
    )
    return out.PlanPage(
        items=items, next=_next_link(request, more, items[-1].id if items else None), limit=limit
    )


@router.get(
    "/plans/{plan_id}", response_model=out.PlanDetail, responses=_ANSWERS, summary="En plan"
)
def get_plan(
    plan_id: PathId, web: WebDep, session: SessionDep, now: NowDep, reader: ReaderDep
) -> out.PlanDetail:
    return reading.plan_detail(session, web.app.registry, reader, plan_id, web.today(now))


@router.get("/actions", response_model=out.ActionPage, responses=_ANSWERS, summary="Åtgärder")
def list_actions(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    reader: ReaderDep,
    plan: PlanFilter = None,
    forvaltning: Forvaltning = None,
    state: Annotated[
        str | None, Query(max_length=100, description="Läge: id eller namn, t.ex. pagar.")
    ] = None,
    owner: Annotated[
        str | None, Query(max_length=320, description="Den ansvarigas e-postadress.")
    ] = None,
    overdue: Annotated[
        bool, Query(description="Bara öppna åtgärder vars klart-datum har passerat.")
    ] = False,
    late: Annotated[
        bool, Query(description="Bara försenade: klart- eller utvärderingsdatum passerat.")
    ] = False,
    without_owner: Annotated[bool, Query(description="Bara öppna utan ansvarig.")] = False,
    limit: Limit = DEFAULT_LIMIT,
    after: After = 0,
) -> out.ActionPage:
    registry = web.app.registry
    query = reading.ActionQuery(
        plan_id=plan,
        forvaltning=forvaltning,
        state=_state_id(registry, state) if state is not None else None,
        owner_email=owner,
        overdue=overdue,
        late=late,
        without_owner=without_owner,
    )
    items, more = reading.action_page(
        session, registry, reader, query, today=web.today(now), after=after, limit=limit
    )
    return out.ActionPage(
        items=items, next=_next_link(request, more, items[-1].id if items else None), limit=limit
    )


@router.get(
    "/actions/{action_id}", response_model=out.ActionOut, responses=_ANSWERS, summary="En åtgärd"
)
def get_action(
    action_id: PathId, web: WebDep, session: SessionDep, now: NowDep, reader: ReaderDep
) -> out.ActionOut:
    return reading.action_detail(session, web.app.registry, reader, action_id, web.today(now))


@router.get(
    "/actions/{action_id}/events",
    response_model=out.EventPage,
    responses=_ANSWERS,
    summary="En åtgärds historik",
)
def list_events(
    request: Request,
    action_id: PathId,
    web: WebDep,
    session: SessionDep,
    reader: ReaderDep,
    limit: Limit = DEFAULT_LIMIT,
    after: After = 0,
) -> out.EventPage:
    items, more = reading.event_page(
        session, web.app.registry, reader, action_id, after=after, limit=limit
    )
    return out.EventPage(
        items=items, next=_next_link(request, more, items[-1].id if items else None), limit=limit
    )


@router.get("/reports", response_model=out.ReportPage, responses=_ANSWERS, summary="Återrapporter")
def list_reports(
    request: Request,
    web: WebDep,
    session: SessionDep,
    reader: ReaderDep,
    plan: PlanFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    after: After = 0,
) -> out.ReportPage:
    items, more = reading.report_page(
        session, web.app.registry, reader, plan_id=plan, after=after, limit=limit, base=PREFIX
    )
    return out.ReportPage(
        items=items, next=_next_link(request, more, items[-1].id if items else None), limit=limit
    )


@router.get(
    "/reports/{report_id}",
    response_model=out.ReportOut,
    responses=_ANSWERS,
    summary="En återrapport",
)
def get_report(
    report_id: PathId, web: WebDep, session: SessionDep, reader: ReaderDep
) -> out.ReportOut:
    return reading.report_detail(session, web.app.registry, reader, report_id, PREFIX)


@router.get(
    "/reports/{report_id}/files/{fmt}",
    response_class=Response,
    responses={
        200: {
            "content": {t: {} for t in reports.CONTENT_TYPES.values()},
            "description": "Filen som den arkiverades; huvudet Repr-Digest har dess SHA-256.",
        },
        **_ANSWERS,
    },
    summary="En utfärdad återrapports arkiverade fil",
)
def get_report_file(
    report_id: PathId, fmt: str, session: SessionDep, reader: ReaderDep
) -> Response:
    if fmt not in reports.FORMATS:
        raise NotFound(f"Okänt format '{fmt}'. Möjliga: {', '.join(reports.FORMATS)}.")
    stored = reading.report_file(session, reader, report_id, fmt)
    digest = base64.b64encode(bytes.fromhex(stored.sha256)).decode()
    return Response(
        stored.data,
        media_type=stored.content_type,
        headers={
            # Always a download: the API never shows a document in a browser.
            "Content-Disposition": content_disposition(stored.filename),
            "Repr-Digest": f"sha-256=:{digest}:",
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/overview",
    response_model=out.OverviewOut,
    responses=_ANSWERS,
    summary="Kommunens översikt över det som inte är verkställt",
)
def get_overview(
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    reader: ReaderDep,
    forvaltning: Forvaltning = None,
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_LIMIT, description="Hur många av de äldsta ej verkställda som visas."),
    ] = kommun.OLDEST_SHOWN,
) -> out.OverviewOut:
    wanted = (forvaltning or "").strip() or forvaltning_scope(reader)
    if not may_see_overview(reader, wanted):
        raise NotFound("Den förvaltningens översikt ingår inte i nyckelns behörighet.")
    found = kommun.overview(
        session,
        web.app.registry,
        today=web.today(now),
        tz=web.app.tz,
        forvaltning=wanted,
        limit=limit,
    )
    return out.OverviewOut(
        today=found.today,
        forvaltning=wanted,
        states=found.states,
        forvaltningar=[
            out.ForvaltningCountsOut(
                forvaltning=c.forvaltning,
                by_state=c.by_state,
                open=c.open,
                late=c.late,
                plans=c.plans,
                total=c.total,
            )
            for c in found.forvaltningar
        ],
        open_total=found.open_total,
        oldest=[out.OpenItemOut(**vars(i)) for i in found.oldest],
        audits=[out.AuditLineOut(**vars(a)) for a in found.audits],
        answer_labels=found.answer_labels,
    )
