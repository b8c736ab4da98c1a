from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from tracker.domain.workdays import (
    WorkCalendar,
    holiday_name,
    midsommarafton,
    next_send_time,
    swedish_holidays,
)

CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2018, 6, 2), "lördag"),
        (date(2018, 6, 3), "söndag"),
        (date(2018, 6, 6), "nationaldagen"),
        (date(2018, 6, 22), "midsommarafton"),
        (date(2018, 6, 23), "midsommardagen"),
        (date(2018, 3, 30), "långfredagen"),
        (date(2018, 4, 2), "annandag påsk"),
        (date(2018, 5, 10), "Kristi himmelfärdsdag"),
        (date(2018, 12, 24), "julafton"),
        (date(2018, 12, 31), "nyårsafton"),
        (date(2019, 1, 1), "nyårsdagen"),
    ],
)
def test_weekends_holidays_and_the_three_eves_are_not_working_days(day: date, why: str) -> None:
    assert not CAL.is_working(day), why


@pytest.mark.parametrize("day", [date(2018, 6, 21), date(2018, 6, 25), date(2018, 1, 10)])
def test_ordinary_weekdays_are_working_days(day: date) -> None:
    assert CAL.is_working(day)


def test_eves_are_closed_whatever_category_the_holidays_package_puts_them_in() -> None:
    # In this package version the eves are "de facto" holidays, not public ones.
    public = holidays.Sweden(years=2018, categories=(holidays.PUBLIC,))
    assert date(2018, 6, 22) not in public
    assert {date(2018, 6, 22), date(2018, 12, 24), date(2018, 12, 31)} <= swedish_holidays(2018)


def test_midsommarafton_is_the_friday_between_19_and_25_june() -> None:
    for year in range(2000, 2041):
        d = midsommarafton(year)
        assert d.weekday() == 4 and date(year, 6, 19) <= d <= date(year, 6, 25)


def test_a_closed_day_moves_back_to_the_working_day_before() -> None:
    # Midsommar weekend 2018: Fri 22 (afton), Sat 23, Sun 24 -> Thursday 21.
    for d in (date(2018, 6, 22), date(2018, 6, 23), date(2018, 6, 24)):
        assert CAL.on_or_before(d) == date(2018, 6, 21)
    # Easter 2018: Good Friday 30 March to Easter Monday 2 April -> Thursday 29 March.
    assert CAL.on_or_before(date(2018, 4, 2)) == date(2018, 3, 29)
    assert CAL.next_working(date(2018, 3, 29)) == date(2018, 4, 3)


def test_a_municipality_can_close_extra_days() -> None:
    cal = WorkCalendar(extra_closed=[date(2018, 5, 11)])  # klämdag
    assert not cal.is_working(date(2018, 5, 11))
    assert cal.on_or_before(date(2018, 5, 13)) == date(2018, 5, 9)


def test_there_is_a_working_day_in_every_week() -> None:
    d = date(2018, 1, 1)
    while d.year < 2031:
        assert any(CAL.is_working(d + timedelta(days=i)) for i in range(7)), d
        d += timedelta(days=7)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 12, 25), "Juldagen"),
        (date(2026, 12, 24), "Julafton"),
        (date(2018, 6, 22), "Midsommarafton"),
        (date(2018, 6, 6), "Nationaldagen"),
        (date(2018, 6, 2), None),  # a Saturday: closed, but no holiday
        (date(2018, 1, 10), None),
    ],
)
def test_a_holiday_is_named_in_swedish(day: date, name: str | None) -> None:
    assert holiday_name(day) == name


STOCKHOLM = ZoneInfo("Europe/Stockholm")
SEVEN = time(7, 0)


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), STOCKHOLM).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # A Wednesday before seven: today's sweep is still to come.
        (_local(date(2018, 1, 10), 6, 59), _local(date(2018, 1, 10), 7)),
        # At seven or later: the next working day's.
        (_local(date(2018, 1, 10), 7), _local(date(2018, 1, 11), 7)),
        (_local(date(2018, 1, 10), 10), _local(date(2018, 1, 11), 7)),
        # Friday afternoon: Monday.
        (_local(date(2018, 1, 12), 15), _local(date(2018, 1, 15), 7)),
        # Saturday morning, before seven: still Monday.
        (_local(date(2018, 1, 13), 6), _local(date(2018, 1, 15), 7)),
        # Maundy Thursday 2018: past Good Friday and Easter Monday to Tuesday.
        (_local(date(2018, 3, 29), 12), _local(date(2018, 4, 3), 7)),
        # Midsommar: Thursday to Monday.
        (_local(date(2018, 6, 21), 12), _local(date(2018, 6, 25), 7)),
    ],
)
def test_reminders_next_go_out_at_the_send_hour_of_the_next_working_day(
    now: datetime, expected: datetime
) -> None:
    assert next_send_time(now, STOCKHOLM, CAL, SEVEN) == expected


def test_the_next_send_time_is_seven_local_time_across_the_change_to_summer_time() -> None:
    # Sunday 25 March 2018 the clocks go forward: Monday's seven is 05:00 UTC, not 06:00.
    got = next_send_time(_local(date(2018, 3, 23), 12), STOCKHOLM, CAL, SEVEN)
    assert got == datetime(2018, 3, 26, 5, 0, tzinfo=UTC)
