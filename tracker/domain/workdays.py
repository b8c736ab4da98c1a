"""Swedish working days: when a reminder may go out.

Not a working day: Saturday, Sunday, a public holiday (`holidays.Sweden`, public category),
and the three eves that Swedish workplaces treat as holidays although the law does not:
midsommarafton, julafton and nyårsafton. The `holidays` package has listed every Sunday as a
holiday in some versions and puts the eves in a separate "de facto" category in others, so
weekends and eves are decided here rather than taken from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

ONE_DAY = timedelta(days=1)


def midsommarafton(year: int) -> date:
    """The Friday between 19 and 25 June."""
    d = date(year, 6, 19)
    return d + timedelta(days=(4 - d.weekday()) % 7)


@lru_cache(maxsize=64)
def holiday_names(year: int) -> Mapping[date, str]:
    """Public holidays of one year plus midsommarafton, julafton and nyårsafton, with their
    Swedish names ("Juldagen")."""
    public = holidays.Sweden(years=year, categories=(holidays.PUBLIC,), language="sv")
    names = {d: str(name) for d, name in public.items()}
    names[midsommarafton(year)] = "Midsommarafton"
    names[date(year, 12, 24)] = "Julafton"
    names[date(year, 12, 31)] = "Nyårsafton"
    return MappingProxyType(names)


@lru_cache(maxsize=64)
def swedish_holidays(year: int) -> frozenset[date]:
    """Public holidays of one year plus midsommarafton, julafton and nyårsafton."""
    return frozenset(holiday_names(year))


def holiday_name(d: date) -> str | None:
    """The Swedish name of the holiday or eve on `d`, if it is one."""
    return holiday_names(d.year).get(d)


class WorkCalendar:
    """Working days, with extra closed days a municipality may add (klämdagar)."""

    def __init__(self, extra_closed: Iterable[date] = ()) -> None:
        self._extra = frozenset(extra_closed)
        self._cache: dict[date, bool] = {}

    def is_working(self, d: date) -> bool:
        known = self._cache.get(d)
        if known is None:
            known = d.weekday() < 5 and d not in swedish_holidays(d.year) and d not in self._extra
            self._cache[d] = known
        return known

    def on_or_before(self, d: date) -> date:
        """The latest working day not after `d`: where a reminder for `d` is moved back to."""
        while not self.is_working(d):
            d -= ONE_DAY
        return d

    def on_or_after(self, d: date) -> date:
        while not self.is_working(d):
            d += ONE_DAY
        return d

    def next_working(self, d: date) -> date:
        """The first working day after `d`."""
        return self.on_or_after(d + ONE_DAY)

    def closed_days(self, start: date, end: date) -> list[date]:
        """Non-working days in [start, end], for showing the calendar."""
        out = []
        d = start
        while d <= end:
            if not self.is_working(d):
                out.append(d)
            d += ONE_DAY
        return out


def next_send_time(now: datetime, tz: ZoneInfo, cal: WorkCalendar, at: time) -> datetime:
    """When reminders next go out: `at` (local time) on today if it is a working day and that
    hour is still to come, else on the next working day. In UTC, as services take `now`."""
    local = now.astimezone(tz)
    day = local.date()
    if not (cal.is_working(day) and local.time() < at):
        day = cal.next_working(day)
    return datetime.combine(day, at, tz).astimezone(UTC)
