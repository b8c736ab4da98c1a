"""The overview of open items for the kommunstyrelse (and each förvaltning): counts per
state and lateness, the oldest not yet carried out first, and the same as CSV or XLSX."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from tracker.domain import nouns
from tracker.domain.roles import forvaltning_scope, may_see_overview
from tracker.domain.tables import SheetOut, write_csv, write_xlsx
from tracker.errors import Forbidden, Refused
from tracker.models import Person
from tracker.services import kommun
from tracker.web.deps import NowDep, SessionDep, UserDep, WebDep
from tracker.web.downloads import content_disposition

router = APIRouter()

KINDS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
Forvaltning = Annotated[str, Query(max_length=200)]


def _scope(user: Person, typed: str) -> str | None:
    """The förvaltning asked for, or the person's own; refused if they may not see it."""
    wanted = typed.strip() or forvaltning_scope(user)
    if not may_see_overview(user, wanted):
        raise Forbidden("Du kan se översikten för din egen förvaltning.")
    return wanted


@router.get("/kommunen", response_class=HTMLResponse)
def overview_page(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    forvaltning: Forvaltning = "",
) -> HTMLResponse:
    scope = _scope(user, forvaltning)
    found = kommun.overview(
        session, web.app.registry, today=web.today(now), tz=web.app.tz, forvaltning=scope
    )
    workflows = sorted({w for c in found.forvaltningar for w in c.workflows})
    return web.render(
        request,
        "kommun/overview.html",
        {
            "o": found,
            "scope": scope,
            "whole_kommun": forvaltning_scope(user) is None,
            "shown": kommun.OLDEST_SHOWN,
            # What it counts: "åtgärder", "åtgärder, kontroller och beslut".
            "kinds": nouns.plural(web.app.registry, workflows),
            # The oldest list's column that names each item: "Åtgärd", "Åtgärd / beslut".
            "heading": nouns.heading(web.app.registry, workflows),
        },
    )


@router.get("/kommunen/export.{kind}")
def overview_export(
    kind: str,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    forvaltning: Forvaltning = "",
) -> Response:
    if kind not in KINDS:
        raise Refused("Välj export som xlsx eller csv.")
    scope = _scope(user, forvaltning)
    found = kommun.overview(
        session,
        web.app.registry,
        today=web.today(now),
        tz=web.app.tz,
        forvaltning=scope,
        limit=None,
    )
    name = f"ej-verkstallda-{web.today(now).isoformat()}.{kind}"
    with tempfile.TemporaryDirectory(prefix="tracker-export-") as tmp:
        out = Path(tmp) / name
        rows = kommun.export_rows(found.oldest)
        if kind == "csv":
            write_csv(rows, out)
        else:
            write_xlsx(
                [SheetOut("Ej verkställda", rows, widths=(24, 16, 30, 6, 60, 24, 14, 12, 12, 9))],
                out,
            )
        data = out.read_bytes()
    return Response(
        data,
        media_type=KINDS[kind],
        headers={"Content-Disposition": content_disposition(name)},
    )
