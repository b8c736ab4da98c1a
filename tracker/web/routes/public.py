"""The pages anyone may read without a log-in: the published plans (/oppet/planer), one
published plan with its issued återrapporter and their files, and the
tillgänglighetsredogörelse (/tillganglighet).

These pages look up no log-in, set no cookie and carry no form. A plan that does not exist
and one that is not published give the same "not found" page as any unknown address, so the
public cannot probe which plan numbers exist.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from tracker.domain import nouns
from tracker.errors import NotFound
from tracker.services import publishing
from tracker.web.deps import NowDep, SessionDep, WebDep
from tracker.web.downloads import document_response
from tracker.web.routes import PathId
from tracker.web.routes.reports import FORMAT_LABELS
from workflows import DEFAULT_NOUN

router = APIRouter()

# The day the product's own tillgänglighetsredogörelse was last reviewed against the pages and
# documents as they are; a kommun that reviews its own sets accessibility_reviewed_on.
STATEMENT_REVIEWED_ON = date(2026, 12, 7)
# DIGG's form for reporting a public body's digital service that is not accessible.
DIGG_REPORT_URL = "https://www.digg.se/tdosanmalan"


def _not_found() -> HTTPException:
    return HTTPException(status_code=404)


@router.get("/oppet/planer", response_class=HTMLResponse)
def published_list(request: Request, web: WebDep, session: SessionDep) -> HTMLResponse:
    plans = publishing.published_plans(session)
    return web.render(
        request,
        "public/list.html",
        {
            "plans": plans,
            # What the count column counts: "åtgärder", "åtgärder och beslut".
            "kinds": nouns.plural(
                web.app.registry, sorted({w for p in plans for w in p.workflows})
            ),
        },
    )


@router.get("/oppet/planer/{plan_id}", response_class=HTMLResponse)
def published_plan(
    request: Request, plan_id: PathId, web: WebDep, session: SessionDep, now: NowDep
) -> HTMLResponse:
    try:
        plan = publishing.public_plan(session, web.app.registry, plan_id, web.today(now))
    except NotFound:
        raise _not_found() from None
    registry = web.app.registry
    kinds = nouns.nouns_of(registry, plan.workflows)
    return web.render(
        request,
        "public/plan.html",
        {
            "plan": plan,
            "today": web.today(now),
            "format_labels": FORMAT_LABELS,
            # "2 beslut, 1 försenat" for a nämnd's decisions; "3 åtgärder, 1 försenad".
            "counted": nouns.counted(registry, plan.workflows),
            "late_word": nouns.late(registry, plan.late_workflows),
            # For none of them: "Inga åtgärder eller beslut ännu".
            "no_kinds": nouns.plural(registry, plan.workflows, joined="eller"),
            "caption": nouns.plural(registry, plan.workflows, first="Utvecklingsområden"),
            "heading": nouns.heading(registry, plan.workflows),
            # The hint names the one kind the plan holds ("för beslutet"), or none of a mix.
            "noun": kinds[0][0] if len(kinds) == 1 else (None if kinds else DEFAULT_NOUN),
        },
    )


@router.get("/oppet/planer/{plan_id}/aterrapporter/{report_id}/dokument.{fmt}")
def published_document(
    plan_id: PathId, report_id: PathId, fmt: str, session: SessionDep
) -> Response:
    try:
        doc = publishing.public_document(session, plan_id, report_id, fmt)
    except NotFound:
        raise _not_found() from None
    # As the logged-in download sends it.
    return document_response(doc.data, doc.filename, doc.content_type, fmt)


@router.get("/tillganglighet", response_class=HTMLResponse)
def accessibility_statement(request: Request, web: WebDep) -> HTMLResponse:
    settings = web.app.settings
    return web.render(
        request,
        "public/accessibility.html",
        {
            "contact": settings.accessibility_contact,
            "reviewed_on": settings.accessibility_reviewed_on or STATEMENT_REVIEWED_ON,
            "digg_url": DIGG_REPORT_URL,
        },
    )
