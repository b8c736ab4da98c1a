"""The nämnder's sammanträdesplan for a year, with the day papers must be with the secretary.
Read-only: meetings are imported with `tracker calendar import`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from tracker.services import meetings
from tracker.web.deps import NowDep, SessionDep, UserDep, WebDep

router = APIRouter()


@router.get("/sammantraden", response_class=HTMLResponse)
def meeting_list(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    ar: Annotated[int | None, Query(ge=1900, le=9999)] = None,
    namnd: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    year = ar if ar is not None else web.today(now).year
    rows = meetings.list_meetings(session, board=namnd or None, year=year)
    return web.render(
        request,
        "meetings/list.html",
        {
            "rows": rows,
            "year": year,
            "board": namnd,
            "boards": meetings.meeting_boards(session),
        },
    )
