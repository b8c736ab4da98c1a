"""Local calendar dates from an instant: the tracker's dates are Swedish calendar days."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local_date(now: datetime, tz: ZoneInfo = STOCKHOLM) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(tz).date()
