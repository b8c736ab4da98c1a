"""A nämnd's sammanträdesplan: the secretary's deadline on the Swedish work calendar, and
`tracker calendar import|show` from an .ics file and from a CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from tracker.app import App
from tracker.cli import cli
from tracker.domain.meetings import (
    BOARD_FIELD,
    CANCELLED,
    DATE_FIELD,
    DEFAULT_LEAD_DAYS,
    LEAD_FIELD,
    PLANNED,
    TITLE_FIELD,
    MeetingRefused,
    MeetingRow,
    paper_deadline,
    parse_lead_days,
    parse_meeting_date,
)
from tracker.domain.problems import FileRefused
from tracker.domain.roles import Role, may_edit_calendar
from tracker.domain.workdays import WorkCalendar
from tracker.errors import Refused
from tracker.models import Meeting
from tracker.services import meetings

CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("held_on", "lead_days", "deadline"),
    [
        # Tuesday 2018-06-26 minus 4 days is midsommarafton (Fri 22 June): Thursday before.
        (date(2018, 6, 26), 4, date(2018, 6, 21)),
        # Midsommardagen (Sat 23 June) falls back past the eve as well.
        (date(2018, 6, 27), 4, date(2018, 6, 21)),
        # Thursday 2018-12-27 minus 2 is juldagen (Tue 25 Dec); julafton is closed too, and
        # the weekend before it, so Friday 21 December.
        (date(2018, 12, 27), 2, date(2018, 12, 21)),
        # Wednesday 2018-01-17 minus 14 is Wednesday 3 January, a working day: kept.
        (date(2018, 1, 17), 14, date(2018, 1, 3)),
        # A Monday meeting with a lead time of 1 lands on Sunday: the Friday before.
        (date(2018, 9, 10), 1, date(2018, 9, 7)),
        # Trettondedag jul (Sat 6 Jan 2018) and the weekend: Friday 5 January.
        (date(2018, 1, 8), 2, date(2018, 1, 5)),
    ],
)
def test_the_deadline_counts_back_and_moves_to_the_working_day_before(
    held_on: date, lead_days: int, deadline: date
) -> None:
    assert paper_deadline(held_on, lead_days, CAL) == deadline


def test_a_municipality_s_own_closed_day_moves_the_deadline_too() -> None:
    # Fredag 11 maj 2018, the klämdag after Kristi himmelsfärd (Thu 10 May).
    cal = WorkCalendar(extra_closed=[date(2018, 5, 11)])
    assert paper_deadline(date(2018, 5, 14), 3, cal) == date(2018, 5, 9)


ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Piteå kommun//Sammanträden//SV\r
BEGIN:VEVENT\r
UID:bun-2018-02@pitea.example\r
DTSTAMP:20180101T080000Z\r
DTSTART;VALUE=DATE:20180214\r
SUMMARY:Barn- och utbildningsnämnden\r
LOCATION:Stadshuset, sal Älven\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:bun-2018-06@pitea.example\r
DTSTAMP:20180101T080000Z\r
DTSTART;TZID=Europe/Stockholm:20180626T130000\r
SUMMARY:Barn- och utbildningsnämnden\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:bun-2018-12@pitea.example\r
DTSTAMP:20180101T080000Z\r
DTSTART:20181227T090000Z\r
SUMMARY:Barn- och utbildningsnämnden\r
STATUS:CANCELLED\r
END:VEVENT\r
END:VCALENDAR\r
"""

BOARD = "Barn- och utbildningsnämnden"
TZ = ZoneInfo("Europe/Stockholm")


def tracker(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--database", db_url, *args])
    return result.exit_code, result.output


def ok(db_url: str, *args: str) -> str:
    code, out = tracker(db_url, *args)
    assert code == 0, out
    return out


def stored(app: App) -> list[tuple[str, date, str, int, str]]:
    with app.transaction() as s:
        rows = s.exec(select(Meeting).order_by(col(Meeting.held_on))).all()
        return [(m.board, m.held_on, m.status, m.lead_days, m.uid) for m in rows]


def test_an_ics_file_imports_three_meetings_once_with_the_cancelled_one_cancelled(
    app: App, db_url: str, tmp_path: Path
) -> None:
    ics = tmp_path / "bun-2018.ics"
    ics.write_text(ICS, encoding="utf-8")
    out = ok(db_url, "calendar", "import", str(ics), "--namnd", BOARD, "--ledtid", "4")
    assert "3 nya, 0 ändrade, 0 oförändrade" in out
    assert stored(app) == [
        (BOARD, date(2018, 2, 14), "planerad", 4, "bun-2018-02@pitea.example"),
        (BOARD, date(2018, 6, 26), "planerad", 4, "bun-2018-06@pitea.example"),
        (BOARD, date(2018, 12, 27), "installt", 4, "bun-2018-12@pitea.example"),
    ]
    again = ok(db_url, "calendar", "import", str(ics), "--namnd", BOARD, "--ledtid", "4")
    assert "0 nya, 0 ändrade, 3 oförändrade" in again
    assert len(stored(app)) == 3

    shown = ok(db_url, "calendar", "show", "--namnd", BOARD, "--year", "2018")
    lines = shown.splitlines()
    assert lines[0].split() == ["Nr", "Datum", "Nämnd", "Status", "Handlingar", "senast"]
    # 14 Feb minus 4 is Saturday 10 Feb: Friday 9 Feb. 26 June minus 4 is midsommarafton.
    assert lines[1].split()[1] == "2018-02-14" and lines[1].endswith("Planerad  2018-02-09")
    assert lines[2].split()[1] == "2018-06-26" and lines[2].endswith("Planerad  2018-06-21")
    assert lines[3].split()[1] == "2018-12-27" and lines[3].endswith("Inställt  2018-12-21")
    assert ok(db_url, "calendar", "show", "--year", "2019") == "Inga sammanträden.\n"


def test_an_ics_file_needs_the_namnd_on_the_command_line(
    app: App, db_url: str, tmp_path: Path
) -> None:
    ics = tmp_path / "bun.ics"
    ics.write_text(ICS, encoding="utf-8")
    code, out = tracker(db_url, "calendar", "import", str(ics))
    assert code == 1
    assert "Ange nämnden med --namnd" in out
    assert stored(app) == []


def test_a_csv_sammantradesplan_imports_by_namnd_and_date(
    app: App, db_url: str, tmp_path: Path
) -> None:
    csv = tmp_path / "plan.csv"
    csv.write_text(
        "Datum;Nämnd\n2018-03-14;Kommunstyrelsen\n2018-03-21;Socialnämnden\n2018-12-27;\n",
        encoding="utf-8",
    )
    out = ok(db_url, "calendar", "import", str(csv), "--namnd", "Kultur- och fritidsnämnden")
    assert "3 nya" in out
    assert stored(app) == [
        ("Kommunstyrelsen", date(2018, 3, 14), "planerad", 14, ""),
        ("Socialnämnden", date(2018, 3, 21), "planerad", 14, ""),
        ("Kultur- och fritidsnämnden", date(2018, 12, 27), "planerad", 14, ""),
    ]
    comma = tmp_path / "plan2.csv"
    comma.write_text("datum,nämnd\n2018-03-14,Kommunstyrelsen\n", encoding="utf-8")
    assert "0 nya, 0 ändrade, 1 oförändrade" in ok(db_url, "calendar", "import", str(comma))
    assert len(stored(app)) == 3
    shown = ok(db_url, "calendar", "show", "--namnd", "Kommunstyrelsen")
    # 14 March minus 14 days is Wednesday 28 February, a working day.
    assert shown.splitlines()[1].endswith("Planerad  2018-02-28")


def test_a_csv_with_a_bad_row_is_refused_whole_naming_row_and_column(
    app: App, db_url: str, tmp_path: Path
) -> None:
    csv = tmp_path / "plan.csv"
    csv.write_text(
        "Datum;Nämnd\n2018-03-14;Kommunstyrelsen\n14/3;Socialnämnden\n2018-04-11;\n",
        encoding="utf-8",
    )
    code, out = tracker(db_url, "calendar", "import", str(csv))
    assert code == 1
    assert "plan.csv importerades inte (2 fel); ingenting sparades." in out
    assert "Rad 3, kolumn Datum: '14/3' är inget datum (ÅÅÅÅ-MM-DD)." in out
    assert "Rad 4, kolumn Nämnd: nämnd saknas." in out
    assert stored(app) == []


def test_a_file_that_is_not_icalendar_is_refused_in_swedish(
    app: App, db_url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "sammanträden.ics"
    broken.write_text("Det här är ett brev, ingen kalender.\n", encoding="utf-8")
    code, out = tracker(db_url, "calendar", "import", str(broken), "--namnd", BOARD)
    assert code == 1
    assert "sammanträden.ics importerades inte (1 fel); ingenting sparades." in out
    assert "Filen är ingen iCalendar-fil (.ics)" in out
    assert stored(app) == []


def _one_event(*lines: str) -> bytes:
    body = "".join(f"{line}\r\n" for line in lines)
    return f"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n".encode()


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (
            ("UID:a", "DTSTART:inget datum"),
            "Händelse 1 (a): DTSTART 'inget datum' är inget datum.",
        ),
        (
            ("UID:a", "DTSTART;VALUE=DATE:20181345"),
            "Händelse 1 (a): DTSTART '20181345' är inget datum.",
        ),
        (
            ("UID:a", "DTSTART:20180101", "DTSTART:20180102"),
            "Händelse 1 (a): DTSTART står flera gånger.",
        ),
        (
            ("UID:a", "UID:b", "DTSTART:20180101"),
            "Händelse 1: UID står flera gånger.",
        ),
        (
            ("UID:a", "DTSTART:20180101", "SUMMARY:x", "SUMMARY:y"),
            "Händelse 1 (a): SUMMARY står flera gånger.",
        ),
        (
            ("UID:a", "DTSTART:99991231T235959Z"),
            "Händelse 1 (a): 9999-12-31 ligger utanför åren 2000–2100.",
        ),
        (
            ("UID:a", "DTSTART;VALUE=DATE:00010101"),
            "Händelse 1 (a): 0001-01-01 ligger utanför åren 2000–2100.",
        ),
    ],
)
def test_an_event_with_a_broken_or_repeated_property_is_named_in_the_refusal(
    lines: tuple[str, ...], problem: str
) -> None:
    with pytest.raises(FileRefused) as refused:
        meetings.read_meeting_data(_one_event(*lines), "plan.ics", BOARD, TZ)
    assert [str(p) for p in refused.value.problems] == [problem]


# --- entering and editing the plan by hand: one write path for the web, the CLI and imports ---

SOCIAL = "Socialnämnden"
NOW = datetime(2018, 1, 10, 9, 0, tzinfo=UTC)


def add(app: App, day: date, board: str = SOCIAL, **kwargs: Any) -> int:
    with app.transaction() as s:
        meeting = meetings.add_meeting(s, board=board, held_on=day, now=NOW, **kwargs)
        assert meeting.id is not None
        return meeting.id


def change(app: App, meeting_id: int, **kwargs: Any) -> list[str]:
    with app.transaction() as s:
        return meetings.change_meeting(s, meetings.get_meeting(s, meeting_id), **kwargs)


def row(app: App, meeting_id: int) -> Meeting:
    with app.transaction() as s:
        return meetings.get_meeting(s, meeting_id)


def test_a_meeting_added_by_hand_takes_the_namnds_usual_lead_time(app: App) -> None:
    first = add(app, date(2018, 3, 15), title="Sammanträde", place="Stadshuset")
    assert row(app, first).lead_days == DEFAULT_LEAD_DAYS
    assert row(app, first).planned_on == date(2018, 3, 15)
    assert row(app, first).status == PLANNED
    add(app, date(2018, 4, 19), lead_days=7)
    # The usual lead time is the one of the nämnd's meeting stored last.
    third = add(app, date(2018, 5, 17))
    assert row(app, third).lead_days == 7
    other = add(app, date(2018, 5, 17), board="Kommunstyrelsen")
    assert row(app, other).lead_days == DEFAULT_LEAD_DAYS
    with app.transaction() as s:
        assert meetings.usual_lead_days(s) == {"Kommunstyrelsen": 14, SOCIAL: 7}


def test_moving_a_meeting_keeps_the_day_it_was_first_planned_for(app: App) -> None:
    meeting_id = add(app, date(2018, 6, 7), lead_days=10)
    assert change(app, meeting_id, held_on=date(2018, 6, 14)) == [
        "flyttat från 2018-06-07 till 2018-06-14"
    ]
    moved = row(app, meeting_id)
    assert (moved.planned_on, moved.held_on) == (date(2018, 6, 7), date(2018, 6, 14))
    assert change(app, meeting_id, held_on=date(2018, 7, 5), lead_days=4) == [
        "flyttat från 2018-06-14 till 2018-07-05",
        "ledtid 4 dagar (var 10)",
    ]
    assert row(app, meeting_id).planned_on == date(2018, 6, 7)
    with app.transaction() as s:
        (view,) = meetings.list_meetings(s, year=2018)
    assert view.moved_from == date(2018, 6, 7)
    # 5 July minus 4 is Sunday 1 July: Friday 29 June.
    assert view.deadline == date(2018, 6, 29)
    assert change(app, meeting_id, held_on=date(2018, 7, 5)) == []
    change(app, meeting_id, held_on=date(2018, 6, 7))
    with app.transaction() as s:
        assert meetings.meeting_view(s, meeting_id).moved_from is None


def test_a_meeting_is_cancelled_and_restored_once_each(app: App) -> None:
    meeting_id = add(app, date(2018, 6, 7))
    with app.transaction() as s:
        assert meetings.cancel_meeting(s, meetings.get_meeting(s, meeting_id)) == ["inställt"]
    assert row(app, meeting_id).status == CANCELLED
    with pytest.raises(Refused, match="redan inställt"), app.transaction() as s:
        meetings.cancel_meeting(s, meetings.get_meeting(s, meeting_id))
    with app.transaction() as s:
        assert meetings.restore_meeting(s, meetings.get_meeting(s, meeting_id)) == ["återställt"]
    assert row(app, meeting_id).status == PLANNED
    with pytest.raises(Refused, match="inte inställt"), app.transaction() as s:
        meetings.restore_meeting(s, meetings.get_meeting(s, meeting_id))


def test_two_planned_meetings_of_a_namnd_on_one_day_are_refused(app: App) -> None:
    first = add(app, date(2018, 6, 7))
    with pytest.raises(MeetingRefused) as refused:
        add(app, date(2018, 6, 7))
    assert refused.value.field == DATE_FIELD
    assert refused.value.message.startswith(
        f"{SOCIAL} har redan ett planerat sammanträde 2018-06-07 (nummer {first})."
    )
    add(app, date(2018, 6, 7), board="Kommunstyrelsen")  # another nämnd's day is free
    second = add(app, date(2018, 6, 14))
    with pytest.raises(MeetingRefused, match="redan ett planerat sammanträde 2018-06-07"):
        change(app, second, held_on=date(2018, 6, 7))
    assert row(app, second).held_on == date(2018, 6, 14)
    # A cancelled meeting leaves its day free, and cannot come back while it is taken.
    change(app, first, cancelled=True)
    change(app, second, held_on=date(2018, 6, 7))
    with pytest.raises(MeetingRefused, match="redan ett planerat"):
        change(app, first, cancelled=False)
    assert row(app, first).status == CANCELLED


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"lead_days": -1}, LEAD_FIELD, "Ledtiden kan inte vara negativ."),
        ({"lead_days": 121}, LEAD_FIELD, "Ledtiden kan vara högst 120 dagar."),
        ({"board": "  "}, BOARD_FIELD, "Skriv nämndens namn."),
        ({"board": "Social\nnämnden"}, BOARD_FIELD, "Nämndens namn innehåller ett styrtecken"),
        ({"board": "Social\x1bnämnden"}, BOARD_FIELD, "Nämndens namn innehåller ett styrtecken"),
        ({"title": "Rad ett\rBcc: x"}, TITLE_FIELD, "Rubriken innehåller ett styrtecken"),
        ({"held_on": date(1018, 6, 7)}, DATE_FIELD, "Datumet 1018-06-07 ligger utanför åren"),
    ],
)
def test_a_meeting_the_rules_refuse_is_not_stored(
    app: App, kwargs: dict[str, Any], field: str, message: str
) -> None:
    values: dict[str, Any] = {"board": SOCIAL, "held_on": date(2018, 6, 7), **kwargs}
    with pytest.raises(MeetingRefused) as refused, app.transaction() as s:
        meetings.add_meeting(s, now=NOW, **values)
    assert refused.value.field == field
    assert refused.value.message.startswith(message)
    assert stored(app) == []


def test_a_change_the_rules_refuse_changes_nothing(app: App) -> None:
    meeting_id = add(app, date(2018, 6, 7), title="Sammanträde")
    with pytest.raises(MeetingRefused, match="negativ"):
        change(app, meeting_id, held_on=date(2018, 6, 14), lead_days=-3)
    with pytest.raises(MeetingRefused, match="styrtecken"):
        change(app, meeting_id, place="Sal\tÄlven")
    kept = row(app, meeting_id)
    assert (kept.held_on, kept.lead_days, kept.place) == (date(2018, 6, 7), 14, "")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Skriv sammanträdets datum."),
        ("2018-02-30", "'2018-02-30' är inget datum: skriv det som ÅÅÅÅ-MM-DD"),
        ("14/6", "'14/6' är inget datum"),
        ("20180614", "'20180614' är inget datum"),
        ("2018-W24-4", "'2018-W24-4' är inget datum"),
        ("0001-01-01", "Datumet 0001-01-01 ligger utanför åren 2000–2100."),
    ],
)
def test_a_typed_date_must_be_a_real_day_written_as_iso(typed: str, message: str) -> None:
    with pytest.raises(MeetingRefused) as refused:
        parse_meeting_date(typed)
    assert refused.value.field == DATE_FIELD
    assert refused.value.message.startswith(message)


def test_a_typed_lead_time_is_days_or_empty() -> None:
    assert parse_lead_days(" 7 ") == 7
    assert parse_lead_days("") is None
    for wrong in ("sju", "1.5", "-2", "١٢", "9" * 40):
        with pytest.raises(MeetingRefused) as refused:
            parse_lead_days(wrong)
        assert refused.value.field == LEAD_FIELD


MOVED_ICS = ICS.replace("DTSTART;VALUE=DATE:20180214", "DTSTART;VALUE=DATE:20180221")


def test_an_import_that_finds_a_meeting_on_a_new_date_moves_it(app: App) -> None:
    tz = ZoneInfo("Europe/Stockholm")
    with app.transaction() as s:
        rows = meetings.read_meeting_data(ICS.encode(), "bun.ics", BOARD, tz)
        meetings.import_meetings(s, rows, lead_days=4, now=NOW)
    with app.transaction() as s:
        rows = meetings.read_meeting_data(MOVED_ICS.encode(), "bun.ics", BOARD, tz)
        result = meetings.import_meetings(s, rows, lead_days=None, now=NOW)
    assert (result.created, result.changed, result.unchanged) == (0, 1, 2)
    with app.transaction() as s:
        first = s.exec(select(Meeting).where(Meeting.uid == "bun-2018-02@pitea.example")).one()
    assert (first.planned_on, first.held_on, first.lead_days) == (
        date(2018, 2, 14),
        date(2018, 2, 21),
        4,  # no lead time given: a stored meeting keeps its own
    )


def test_an_import_without_a_lead_time_gives_new_meetings_the_usual_one(app: App) -> None:
    add(app, date(2018, 3, 15), lead_days=9)
    with app.transaction() as s:
        result = meetings.import_meetings(
            s, [MeetingRow(board=SOCIAL, held_on=date(2018, 4, 19))], lead_days=None, now=NOW
        )
    assert result.created == 1
    assert [m[3] for m in stored(app)] == [9, 9]


def test_an_import_with_two_planned_meetings_of_a_namnd_on_one_day_stores_nothing(
    app: App,
) -> None:
    add(app, date(2018, 6, 7))
    twice = [
        MeetingRow(board=SOCIAL, held_on=date(2018, 9, 13)),
        MeetingRow(board=SOCIAL, held_on=date(2018, 6, 7), uid="sn-juni@pitea.example"),
    ]
    refused = pytest.raises(MeetingRefused, match="redan ett planerat sammanträde 2018-06-07")
    with refused, app.transaction() as s:
        meetings.import_meetings(s, twice, lead_days=None, now=NOW)
    assert [m[1] for m in stored(app)] == [date(2018, 6, 7)]


def test_an_import_may_swap_two_meetings_dates(app: App) -> None:
    rows = [
        MeetingRow(board=SOCIAL, held_on=date(2018, 6, 7), uid="a"),
        MeetingRow(board=SOCIAL, held_on=date(2018, 6, 14), uid="b"),
    ]
    swapped = [
        MeetingRow(board=SOCIAL, held_on=date(2018, 6, 14), uid="a"),
        MeetingRow(board=SOCIAL, held_on=date(2018, 6, 7), uid="b"),
    ]
    with app.transaction() as s:
        meetings.import_meetings(s, rows, lead_days=None, now=NOW)
    with app.transaction() as s:
        assert meetings.import_meetings(s, swapped, lead_days=None, now=NOW).changed == 2
    assert [(m[1], m[4]) for m in stored(app)] == [
        (date(2018, 6, 7), "b"),
        (date(2018, 6, 14), "a"),
    ]


def test_calendar_add_move_cancel_and_restore_from_the_command_line(app: App, db_url: str) -> None:
    out = ok(
        db_url,
        *("calendar", "add", "--namnd", SOCIAL, "--datum", "2018-06-07"),
        *("--ledtid", "10", "--titel", "Sammanträde", "--plats", "Stadshuset"),
    )
    with app.transaction() as s:
        meeting_id = s.exec(select(Meeting.id)).one()
    assert out == f"Sammanträde {meeting_id}: {SOCIAL} 2018-06-07, ledtid 10 dagar, är tillagt.\n"
    moved = ok(db_url, "calendar", "move", str(meeting_id), "--datum", "2018-06-14")
    assert (
        moved == f"Sammanträde {meeting_id} ({SOCIAL}): flyttat från 2018-06-07 till 2018-06-14.\n"
    )
    assert (row(app, meeting_id).planned_on, row(app, meeting_id).held_on) == (
        date(2018, 6, 7),
        date(2018, 6, 14),
    )
    shown = ok(db_url, "calendar", "show", "--year", "2018").splitlines()
    assert shown[1].split() == [
        str(meeting_id),
        "2018-06-14",
        *SOCIAL.split(),
        "Planerad,",
        "flyttat",
        "från",
        "2018-06-07",
        "2018-06-04",
    ]
    assert "inställt." in ok(db_url, "calendar", "cancel", str(meeting_id))
    assert row(app, meeting_id).status == CANCELLED
    code, again = tracker(db_url, "calendar", "cancel", str(meeting_id))
    assert (code, again.strip()) == (1, "Fel: Sammanträdet är redan inställt.")
    assert "återställt." in ok(db_url, "calendar", "restore", str(meeting_id))
    assert row(app, meeting_id).status == PLANNED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--datum", "2018-02-30"), "Fel: '2018-02-30' är inget datum"),
        (("--datum", "2018-06-14", "--ledtid", "-3"), "Fel: Ledtiden kan inte vara negativ."),
        (("--datum", "2018-06-07"), f"Fel: {SOCIAL} har redan ett planerat sammanträde"),
    ],
)
def test_calendar_add_refuses_in_swedish_and_stores_nothing(
    app: App, db_url: str, args: tuple[str, ...], message: str
) -> None:
    add(app, date(2018, 6, 7))
    code, out = tracker(db_url, "calendar", "add", "--namnd", SOCIAL, *args)
    assert code == 1
    assert out.startswith(message), out
    assert len(stored(app)) == 1


def test_calendar_add_refuses_a_namnd_with_control_characters(app: App, db_url: str) -> None:
    code, out = tracker(
        db_url, "calendar", "add", "--namnd", "Social\tnämnden", "--datum", "2018-06-07"
    )
    assert code == 1
    assert "Nämndens namn innehåller ett styrtecken" in out
    assert stored(app) == []


def test_calendar_move_of_an_unknown_meeting_says_so(app: App, db_url: str) -> None:
    code, out = tracker(db_url, "calendar", "move", "99", "--datum", "2018-06-14")
    assert (code, out.strip()) == (1, "Fel: Det finns inget sammanträde nummer 99.")


@dataclass(frozen=True)
class Someone:
    id: int | None
    role: str
    forvaltning: str = ""


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.admin, True), (Role.chef, True), (Role.board, False), (Role.owner, False)],
)
def test_only_admins_and_chefs_may_edit_the_calendar(role: Role, allowed: bool) -> None:
    assert may_edit_calendar(Someone(1, role, "Kultur- och fritidsförvaltningen")) is allowed
