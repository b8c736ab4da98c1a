"""Local calendar dates from an instant: the tracker's dates are Swedish calendar days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local_date(now: datetime, tz: ZoneInfo = STOCKHOLM) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(tz).date()


def start_of_day(day: date, tz: ZoneInfo = STOCKHOLM) -> datetime:
    """The first instant of a local calendar day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
