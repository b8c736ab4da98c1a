"""A nämnd's sammanträdesplan: the secretary's deadline on the Swedish work calendar, and
`tracker calendar import|show` from an .ics file and from a CSV."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from tracker.app import App
from tracker.cli import cli
from tracker.domain.meetings import paper_deadline
from tracker.domain.workdays import WorkCalendar
from tracker.models import Meeting

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
    assert lines[0].split() == ["Datum", "Nämnd", "Status", "Handlingar", "senast"]
    # 14 Feb minus 4 is Saturday 10 Feb: Friday 9 Feb. 26 June minus 4 is midsommarafton.
    assert lines[1].startswith("2018-02-14") and lines[1].endswith("Planerad  2018-02-09")
    assert lines[2].startswith("2018-06-26") and lines[2].endswith("Planerad  2018-06-21")
    assert lines[3].startswith("2018-12-27") and lines[3].endswith("Inställt  2018-12-21")
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
