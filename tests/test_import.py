from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select
from typer.testing import CliRunner

from tracker.app import App
from tracker.cli import cli
from tracker.domain.plan_meta import PlanMeta
from tracker.domain.problems import FileRefused
from tracker.models import Action, ActionEvent, Area, Person, Plan
from tracker.services import actions, importing

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pitea-2018.csv"

HEADER = ["Utvecklingsområde", "Åtgärd", "Ansvarig", "E-post", "Tidsplan", "Status", "Processläge"]
ROWS = [
    [
        "Ekonomiskt stöd till rektor",
        "Ta fram ett upplägg för stödet i ekonomiska frågor",
        "Karin Lindström",
        "Karin.Lindstrom@pitea.example",
        "Klart till mars 2018. Utvärderas oktober 2018.",
        "Pågår",
        "Förvaltningen ser över hanteringen av elevpengar.\n"
        "Skolledarna vill ha en tydligare struktur.",
    ],
    [
        "Ekonomiskt stöd till rektor",
        "Erbjuda kompetensutveckling i rapporteringssystemen",
        "Sofia Öberg",
        "sofia.oberg@pitea.example",
        "våren 2018",
        "Ej påbörjat",
        "",
    ],
    [
        "Rektorernas ledarskap",
        "Utforma en plan för rektorernas ledarskapsutveckling",
        "Anna Berg",
        "anna.berg@pitea.example",
        "Klart januari 2018 Utvärderas juni 2018.",
        "Klar",
        "Planen är beslutad i ledningsgruppen.",
    ],
]
SIDECAR = """[plan]
title = "Åtgärdsplan för grundskolans ledning"
forvaltning = "Utbildningsförvaltningen"
namnd = "Barn- och utbildningsnämnden"
ort = "Piteå"
signatory_name = "Malin Westling"
signatory_title = "förvaltningschef"
report_months = [6, 12]
next_report_on = 2018-06-30
"""


def write_csv(
    path: Path,
    rows: list[list[str]],
    *,
    header: list[str] = HEADER,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
    sidecar: str | None = SIDECAR,
) -> Path:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    if sidecar is not None:
        path.with_name(f"{path.stem}.plan.toml").write_text(sidecar, encoding="utf-8")
    return path


def count(app: App, model: type[SQLModel]) -> int:
    with Session(app.engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def counts(app: App) -> dict[str, int]:
    return {m.__name__: count(app, m) for m in (Plan, Area, Action, ActionEvent, Person)}


def do_import(
    app: App, path: Path, now: datetime, overrides: PlanMeta | None = None
) -> importing.ImportResult:
    with app.transaction() as s:
        return importing.import_file(
            s, app.registry, app.settings, path, now=now, overrides=overrides
        )


def plan_actions(app: App) -> list[tuple[str, Action, Person | None]]:
    with Session(app.engine) as s:
        rows = s.exec(
            select(Area, Action, Person)
            .join(Action, col(Action.area_id) == Area.id)
            .join(Person, col(Action.owner_id) == Person.id, isouter=True)
            .order_by(col(Area.position), col(Action.position))
        ).all()
        return [(area.title, action, person) for area, action, person in rows]


def refusal(app: App, path: Path, now: datetime) -> list[str]:
    with pytest.raises(FileRefused) as info:
        do_import(app, path, now)
    return [str(p) for p in info.value.problems]


# --- good files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8", ";"), ("utf-8-sig", ";"), ("cp1252", ";"), ("cp1252", ",")],
)
def test_csv_as_excel_writes_it_imports_with_swedish_letters_intact(
    app: App, now: datetime, tmp_path: Path, encoding: str, delimiter: str
) -> None:
    path = write_csv(tmp_path / "plan.csv", ROWS, delimiter=delimiter, encoding=encoding)

    result = do_import(app, path, now)

    assert (result.areas_created, result.actions_created, result.persons_created) == (2, 3, 3)
    assert result.warnings == []
    with Session(app.engine) as s:
        plan = s.exec(select(Plan)).one()
        assert plan.title == "Åtgärdsplan för grundskolans ledning"
        assert plan.namnd == "Barn- och utbildningsnämnden"
        assert plan.report_months == "6,12"
        assert plan.next_report_on == date(2018, 6, 30)
    got = plan_actions(app)
    assert [(area, a.text, a.state, p.email if p else None) for area, a, p in got] == [
        (
            "Ekonomiskt stöd till rektor",
            "Ta fram ett upplägg för stödet i ekonomiska frågor",
            "pagar",
            "karin.lindstrom@pitea.example",
        ),
        (
            "Ekonomiskt stöd till rektor",
            "Erbjuda kompetensutveckling i rapporteringssystemen",
            "ej_paborjat",
            "sofia.oberg@pitea.example",
        ),
        (
            "Rektorernas ledarskap",
            "Utforma en plan för rektorernas ledarskapsutveckling",
            "klar",
            "anna.berg@pitea.example",
        ),
    ]
    first = got[0][1]
    assert first.tidsplan == "Klart till mars 2018. Utvärderas oktober 2018."
    assert (first.due_on, first.evaluate_on) == (date(2018, 3, 31), date(2018, 10, 31))
    assert first.progress_note == ROWS[0][6]
    assert got[1][1].due_on == date(2018, 6, 30)
    assert got[1][2] is not None and got[1][2].name == "Sofia Öberg"


def test_xlsx_with_a_plan_sheet_imports_rows_dates_and_plan_data(
    app: App, now: datetime, tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Åtgärder"
    ws.append(["Utvecklingsområde", "Åtgärd", "Ansvarig", "E-post", "Klart till", "Utvärderas",
               "Status", "Budget (kr)", "Målgrupp"])  # fmt: skip
    ws.append(["Ledarskap", "Plan för ledarskapsutveckling", "Anna Berg",
               "anna.berg@pitea.example", datetime(2018, 1, 31), "januari 2019", "pagar",
               120000, "Rektorer"])  # fmt: skip
    # A merged cell reads as empty below its first row: the area continues.
    ws.append([None, "Introduktion för nya rektorer", "Anna Berg", "anna.berg@pitea.example",
               "2018-06-30", None, None, "45 000 kr", None])  # fmt: skip
    meta = wb.create_sheet("Plan")
    meta.append(["Fält", "Värde"])
    meta.append(["Titel", "Ledarskapsplan"])
    meta.append(["Förvaltning", "Utbildningsförvaltningen"])
    meta.append(["Dnr", "BUN 2017/123"])
    meta.append(["Nästa återrapport", datetime(2018, 6, 15)])
    meta.append(["Mottagare i nämnden", "namnd@pitea.example, sekreterare@pitea.example"])
    path = tmp_path / "plan.xlsx"
    wb.save(path)

    result = do_import(app, path, now)

    assert (result.areas_created, result.actions_created) == (1, 2)
    with Session(app.engine) as s:
        plan = s.exec(select(Plan)).one()
        assert (plan.title, plan.dnr, plan.next_report_on) == (
            "Ledarskapsplan",
            "BUN 2017/123",
            date(2018, 6, 15),
        )
        assert plan.board_recipients == "namnd@pitea.example,sekreterare@pitea.example"
    (_, first, _), (area2, second, _) = plan_actions(app)
    assert (first.due_on, first.evaluate_on, first.budget_sek) == (
        date(2018, 1, 31),
        date(2019, 1, 31),
        120000,
    )
    assert first.tidsplan == "Klart till 2018-01-31. Utvärderas januari 2019."
    assert (first.state, first.target_group) == ("pagar", "Rektorer")
    assert (area2, second.due_on, second.budget_sek) == ("Ledarskap", date(2018, 6, 30), 45000)


def test_new_action_with_a_later_status_is_created_in_it_and_the_event_says_so(
    app: App, now: datetime, tmp_path: Path
) -> None:
    do_import(app, write_csv(tmp_path / "plan.csv", ROWS), now)
    (_, klar, _) = plan_actions(app)[2]
    assert klar.id is not None
    with Session(app.engine) as s:
        events = actions.history(s, klar.id)
    assert [(e.trigger, e.from_state, e.to_state) for e in events] == [
        ("skapad", None, "klar"),
        ("importerad", "klar", "klar"),
    ]
    assert events[1].text == "Planen är beslutad i ledningsgruppen."
    assert events[0].actor_label == "import (plan.csv)"
    assert actions.replay("ej_paborjat", events) == "klar"


def test_a_state_written_as_plans_write_it_is_read_as_the_workflows_state(
    app: App, now: datetime, tmp_path: Path
) -> None:
    """A förvaltning writes "Ej påbörjad" (of the åtgärd's gender) as often as "Ej påbörjat",
    and "Pågående" or "Klart" as often as the labels."""
    written = ["Ej påbörjad", "pågående", "Klart."]
    rows = [[*row[:5], state, row[6]] for row, state in zip(ROWS, written, strict=True)]
    do_import(app, write_csv(tmp_path / "plan.csv", rows), now)
    assert [a.state for _, a, _ in plan_actions(app)] == ["ej_paborjat", "pagar", "klar"]


def test_unreadable_tidsplan_text_is_kept_and_reported_as_a_warning(
    app: App, now: datetime, tmp_path: Path
) -> None:
    rows = [[*ROWS[0][:4], "Klart sommaren 2018", "", ""]]
    result = do_import(app, write_csv(tmp_path / "plan.csv", rows), now)
    assert result.actions_created == 1
    assert [str(w) for w in result.warnings] == [
        "Rad 2, kolumn Tidsplan: kunde inte tolka 'sommaren 2018' som ett datum; "
        "texten sparas som den är"
    ]
    (_, action, _) = plan_actions(app)[0]
    assert (action.tidsplan, action.due_on) == ("Klart sommaren 2018", None)


def test_command_line_options_override_the_sidecar(app: App, now: datetime, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plan.csv", ROWS)
    do_import(app, path, now, PlanMeta(title="Annan titel", dnr="BUN 2018/1"))
    with Session(app.engine) as s:
        plan = s.exec(select(Plan)).one()
    assert (plan.title, plan.dnr, plan.ort) == ("Annan titel", "BUN 2018/1", "Piteå")


# --- bad files -----------------------------------------------------------------------------


def test_a_bad_file_is_refused_whole_with_every_row_and_column_named(
    app: App, now: datetime, tmp_path: Path
) -> None:
    header = [*HEADER, "Klart till"]
    rows = [
        [*ROWS[0], "mars 2018"],
        [*ROWS[1][:3], "anna.berg", *ROWS[1][4:], ""],  # row 3: bad e-mail
        [*ROWS[2][:5], "Vilande", ROWS[2][6], ""],  # row 4: unknown status
        [*ROWS[0][:2], "Karin", "karin@pitea.example", "", "", "", "snart"],  # row 5: two
        [ROWS[2][0], "Annan åtgärd", *ROWS[2][2:], "2018-02-30"],  # row 6: bad date
    ]
    path = write_csv(tmp_path / "plan.csv", rows, header=header)

    problems = refusal(app, path, now)

    assert problems == [
        "Rad 3, kolumn E-post: ogiltig e-postadress 'anna.berg'",
        "Rad 4, kolumn Status: okänt läge 'Vilande' (kända lägen: Ej påbörjat, Pågår, Klar, "
        "Utvärderad, Utgår)",
        "Rad 5, kolumn Klart till: kunde inte tolka 'snart' som ett datum",
        "Rad 5, kolumn Åtgärd: samma åtgärd i samma utvecklingsområde som rad 2",
        "Rad 6, kolumn Klart till: ogiltigt datum '2018-02-30'",
    ]
    assert counts(app) == dict.fromkeys(counts(app), 0)


def test_the_same_action_twice_in_an_area_is_refused(
    app: App, now: datetime, tmp_path: Path
) -> None:
    rows = [ROWS[0], ROWS[1], [*ROWS[0][:2], "  ", "", "", "", ""]]
    rows[2][1] = " Ta fram ett upplägg  för stödet i ekonomiska frågor"
    problems = refusal(app, write_csv(tmp_path / "plan.csv", rows), now)
    assert problems == ["Rad 4, kolumn Åtgärd: samma åtgärd i samma utvecklingsområde som rad 2"]
    assert count(app, Action) == 0


def test_missing_required_column_is_refused_naming_it(
    app: App, now: datetime, tmp_path: Path
) -> None:
    header = [h for h in HEADER if h != "E-post"]
    rows = [[c for i, c in enumerate(r) if HEADER[i] != "E-post"] for r in ROWS]
    problems = refusal(app, write_csv(tmp_path / "plan.csv", rows, header=header), now)
    assert problems == ["Kolumn E-post: saknas i rubrikraden (rad 1)"]
    assert counts(app) == dict.fromkeys(counts(app), 0)


def test_missing_title_and_bad_sidecar_fields_are_listed_with_row_errors(
    app: App, now: datetime, tmp_path: Path
) -> None:
    sidecar = '[plan]\nreport_months = [6, 13]\nnext_report_on = "snart"\n'
    rows = [[*ROWS[0][:3], "", *ROWS[0][4:]]]
    problems = refusal(app, write_csv(tmp_path / "plan.csv", rows, sidecar=sidecar), now)
    assert problems == [
        "plan.plan.toml: Fältet report_months: '13' är inget månadsnummer (1–12)",
        "plan.plan.toml: Fältet next_report_on: kunde inte tolka 'snart' som ett datum",
        "Rad 2, kolumn E-post: saknas för ansvarig 'Karin Lindström'",
        "Planens titel saknas: ange den i plan.plan.toml eller med --title",
    ]


def test_a_title_above_the_table_is_passed_over_with_a_warning_naming_its_row(
    app: App, now: datetime, tmp_path: Path
) -> None:
    """Excel users put a bold title and a blank row above the header: the table starts at
    the header, and the title is said to be left unread, not taken for an åtgärd."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Åtgärdsplan för grundskolans ledning 2018"])
    ws.append([])
    ws.append(["Beslutad i ledningsgruppen", "2018-01-10"])
    for row in (HEADER, *ROWS):
        ws.append(row)
    wb.save(tmp_path / "plan.xlsx")
    result = do_import(app, tmp_path / "plan.xlsx", now, PlanMeta(title="Ledarskapsplan"))
    assert result.actions_created == len(ROWS)
    assert [str(w) for w in result.warnings] == [
        "Rad 1: ligger ovanför rubrikraden (rad 4) och lästes inte",
        "Rad 3: ligger ovanför rubrikraden (rad 4) och lästes inte",
    ]
    assert [a.text for _, a, _ in plan_actions(app)] == [r[1] for r in ROWS]


def test_without_a_header_among_the_top_rows_the_first_row_is_named_as_before(
    app: App, now: datetime, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "plan.csv", ROWS, header=["Titel", "Åtgärd", "Något"])
    problems = refusal(app, path, now)
    # No row above is passed over: the first row is the header, and its gaps are named.
    assert "Kolumn Utvecklingsområde: saknas i rubrikraden (rad 1)" in problems
    assert not any("ovanför rubrikraden" in p for p in problems)


def test_the_boards_decision_is_read_from_the_sidecar_and_the_plan_sheet(
    app: App, now: datetime, tmp_path: Path
) -> None:
    sidecar = SIDECAR + 'decision_on = 2017-06-14\ndecision_paragraph = "§45"\n'
    do_import(app, write_csv(tmp_path / "plan.csv", ROWS, sidecar=sidecar), now)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in (HEADER, *ROWS):
        ws.append(row)
    meta = wb.create_sheet("Plan")
    meta.append(["Titel", "Ledarskapsplan"])
    meta.append(["Beslutsdatum", datetime(2017, 9, 20)])
    meta.append(["Paragraf", 112])
    wb.save(tmp_path / "plan.xlsx")
    do_import(app, tmp_path / "plan.xlsx", now)
    with Session(app.engine) as s:
        decided = {p.title: (p.decision_on, p.decision_paragraph) for p in s.exec(select(Plan))}
    assert decided == {
        "Åtgärdsplan för grundskolans ledning": (date(2017, 6, 14), "§ 45"),
        "Ledarskapsplan": (date(2017, 9, 20), "§ 112"),
    }


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (
            'decision_on = "juni 2017"',
            "Fältet decision_on: ska vara ett datum som 2017-06-14 (fick 'juni 2017')",
        ),
        ('decision_on = "2017-02-30"', "Fältet decision_on: '2017-02-30' är inget giltigt datum"),
        (
            "decision_on = 1917-06-14",
            "Fältet decision_on: orimligt årtal i '1917-06-14' (ange ett år från ",
        ),
        (
            'decision_paragraph = "45 och 46"',
            "Fältet decision_paragraph: ska vara en paragraf som § 45 (fick '45 och 46')",
        ),
        (
            f'dnr = "{"BUN 2017/55 " * 10}"',
            "Fältet dnr: för lång text, högst 100 tecken",
        ),
    ],
)
def test_a_bad_decision_in_the_sidecar_is_refused_naming_the_key(
    app: App, now: datetime, tmp_path: Path, given: str, problem: str
) -> None:
    path = write_csv(tmp_path / "plan.csv", ROWS, sidecar=f"{SIDECAR}{given}\n")
    [said] = refusal(app, path, now)
    assert said.startswith(f"plan.plan.toml: {problem}"), said
    assert count(app, Plan) == 0


def test_a_refused_file_leaves_an_imported_plan_as_it_was(
    app: App, now: datetime, tmp_path: Path
) -> None:
    do_import(app, write_csv(tmp_path / "plan.csv", ROWS), now)
    before = counts(app)
    changed = [[*ROWS[0][:4], "Klart till juni 2018.", *ROWS[0][5:]], [*ROWS[1][:5], "Okänt", ""]]
    refusal(app, write_csv(tmp_path / "plan.csv", changed), now)
    assert counts(app) == before
    assert plan_actions(app)[0][1].due_on == date(2018, 3, 31)


# --- re-import -----------------------------------------------------------------------------


def test_importing_the_same_file_again_duplicates_nothing(
    app: App, now: datetime, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "plan.csv", ROWS)
    do_import(app, path, now)
    before = counts(app)

    again = do_import(app, path, now + timedelta(days=1))

    assert counts(app) == before
    assert (again.plan_created, again.areas_created, again.actions_created) == (False, 0, 0)
    assert (again.areas_unchanged, again.actions_unchanged, again.actions_updated) == (2, 3, 0)
    assert again.warnings == []


def test_reimport_changes_fields_through_events_and_reports_state_changes(
    app: App, now: datetime, tmp_path: Path
) -> None:
    do_import(app, write_csv(tmp_path / "plan.csv", ROWS), now)
    rows = [list(r) for r in ROWS]
    rows[0][4] = "Klart till april 2018. Utvärderas oktober 2018."
    rows[1][2:4] = ["Erik Lundberg", "erik.lundberg@pitea.example"]
    rows[2][5] = "Utvärderad"  # a state change: reported, not forced
    rows.append(["Rektorernas ledarskap", "En ny åtgärd", "Anna Berg", "anna.berg@pitea.example",
                 "hösten 2018", "", ""])  # fmt: skip
    later = now + timedelta(days=3)

    result = do_import(app, write_csv(tmp_path / "plan.csv", rows), later)

    assert (result.actions_created, result.actions_updated, result.actions_unchanged) == (1, 2, 1)
    got = plan_actions(app)
    first, second, third, new = (a for _, a, _ in got)
    assert first.due_on == date(2018, 4, 30)
    assert third.state == "klar"
    assert new.position == 2 and new.state == "ej_paborjat"
    with Session(app.engine) as s:
        first_events = actions.history(s, first.id or 0)
        second_events = actions.history(s, second.id or 0)
    assert first_events[-1].trigger == "andrad"
    assert "due_on: 2018-03-31 → 2018-04-30" in first_events[-1].text
    assert first_events[-1].at == later
    assert second_events[-1].trigger == "tilldelad"
    assert got[1][2] is not None and got[1][2].email == "erik.lundberg@pitea.example"
    assert [str(w) for w in result.warnings] == [
        f"Rad 4, kolumn Status: filen säger 'Utvärderad' men åtgärd {third.id} är 'Klar'; "
        f"läget ändras inte vid import (använd tracker action move {third.id} ...)"
    ]


def test_reimport_updates_plan_data_and_area_sections(
    app: App, now: datetime, tmp_path: Path
) -> None:
    do_import(app, write_csv(tmp_path / "plan.csv", ROWS), now)
    sidecar = SIDECAR.replace("Barn- och utbildningsnämnden", "Utbildningsnämnden")
    rows = [["Rekommendationer", *r] for r in ROWS]
    path = write_csv(tmp_path / "plan.csv", rows, header=["Sektion", *HEADER], sidecar=sidecar)

    result = do_import(app, path, now)

    assert (result.plan_created, result.plan_updated) == (False, True)
    assert (result.areas_updated, result.actions_unchanged) == (2, 3)
    with Session(app.engine) as s:
        assert s.exec(select(Plan)).one().namnd == "Utbildningsnämnden"
        assert {a.section for a in s.exec(select(Area))} == {"Rekommendationer"}


def test_unknown_columns_are_warned_about_and_a_doubled_column_is_refused(
    app: App, now: datetime, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "plan.csv", [[*r, "x"] for r in ROWS], header=[*HEADER, "Kommentar"]
    )
    result = do_import(app, path, now)
    assert [str(w) for w in result.warnings] == [
        "Rad 1: okänd rubrik 'Kommentar' i kolumn H; kolumnen lästes inte"
    ]
    path = write_csv(tmp_path / "two.csv", [[*r, "x"] for r in ROWS], header=[*HEADER, "e-post"])
    assert refusal(app, path, now) == ["Rad 1, kolumn E-post: finns två gånger (kolumn D och H)"]


# --- the shipped example -------------------------------------------------------------------


def test_shipped_pitea_example_imports_as_the_seed_reads(app: App, now: datetime) -> None:
    result = do_import(app, EXAMPLE, now)

    assert result.warnings == []
    assert (result.areas_created, result.actions_created) == (9, 11)
    with Session(app.engine) as s:
        plan = s.exec(select(Plan)).one()
        areas = s.exec(select(Area).order_by(col(Area.position))).all()
    assert plan.title == "Åtgärdsplan för att stärka grundskolans ledningsfunktion"
    assert (plan.forvaltning, plan.namnd, plan.ort) == (
        "Utbildningsförvaltningen",
        "Barn- och utbildningsnämnden",
        "Piteå",
    )
    assert (plan.signatory_name, plan.signatory_title) == ("Malin Westling", "förvaltningschef")
    assert plan.background.startswith("KPMG fick av Piteå kommuns revisorer")
    assert plan.background.endswith("Här återrapporteras även nuvarande läge i processen.")
    assert plan.next_report_on is not None and plan.next_report_on.month == 6
    assert [a.section for a in areas] == [""] * 3 + [
        "Möjliga utvecklingsområden som granskningsrapporten påtalar:"
    ] * 6
    assert areas[0].title == (
        "Försäkra sig om att rektor får ett kvalificerat stöd i ekonomiska frågor"
    )
    assert areas[-1].title == "Förbättra introduktionen av administrativa system för rektorerna"

    got = plan_actions(app)
    by_area: dict[str, list[Action]] = {}
    for area_title, action, person in got:
        by_area.setdefault(area_title, []).append(action)
        assert person is not None and person.email.endswith("@pitea.example")
        note = action.progress_note
        assert "<" not in action.text + note + action.tidsplan
    first = got[0][1]
    # The processläge is stored as its writer wrote it, status words and all.
    assert first.progress_note.startswith("Pågår enligt tidsplan.\nFörvaltningen ser över")
    assert first.progress_note.endswith("\nNy återrapport juni 2018.")
    assert first.tidsplan == "Klart till mars 2018. Utvärderas oktober 2018."
    assert (first.due_on, first.evaluate_on, first.state) == (
        date(2018, 3, 31),
        date(2018, 10, 31),
        "pagar",
    )
    kvalitet = next(v for k, v in by_area.items() if k.startswith("Skapa rutiner och system"))
    assert [(a.tidsplan, a.state) for a in kvalitet] == [
        ("Administrativt system implementeras våren 2018.", "pagar"),
        ("Nya rutiner för det systematiska kvalitetsarbetet klara januari 2018.", "klar"),
        ("Utvärderas oktober 2018.", "pagar"),
    ]
    states = {k: [a.state for a in v] for k, v in by_area.items()}
    assert states[
        "Klargöra ansvarsfördelningen i fastighets- och lokalfrågor mellan nämnden och "
        "Fastighets- och serviceförvaltningen"
    ] == ["ej_paborjat"]
    lektor = by_area["Tydliggöra lektors uppdrag i organisationen"][0]
    assert (lektor.state, lektor.due_on) == ("klar", date(2020, 12, 31))
    assert lektor.text.count("\n") == 1  # the row's two bullets, split over a page in the seed
    info = by_area["Förbättra rutinerna för informationsöverföring inom organisationen"][0]
    assert info.tidsplan == "Klart januari 2018 Utvärderas juni 2018."
    assert (info.due_on, info.evaluate_on, info.progress_note) == (
        date(2018, 1, 31),
        date(2018, 6, 30),
        "Ej påbörjat. Ny återrapport juni 2018.",
    )


# --- command line --------------------------------------------------------------------------


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_imports_the_example_and_summarises(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    assert run_cli("--database", db, "init")[0] == 0

    code, out, err = run_cli("--database", db, "plan", "import", str(EXAMPLE))

    assert code == 0, err
    assert out.splitlines() == [
        "Plan 1: Åtgärdsplan för att stärka grundskolans ledningsfunktion (ny).",
        "Utvecklingsområden: 9 nya, 0 ändrade, 0 oförändrade.",
        "Åtgärder: 11 nya, 0 ändrade, 0 oförändrade.",
        "Nya personer: 8.",
    ]
    code, out, _ = run_cli("--database", db, "plan", "import", str(EXAMPLE))
    assert "Åtgärder: 0 nya, 0 ändrade, 11 oförändrade." in out


def test_cli_refuses_a_bad_file_with_every_error_and_exits_non_zero(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    run_cli("--database", db, "init")
    rows = [[*ROWS[0][:3], "anna.berg", *ROWS[0][4:]], [*ROWS[1][:5], "Vilande", ""]]
    path = write_csv(tmp_path / "bad.csv", rows)

    code, out, err = run_cli("--database", db, "plan", "import", str(path))

    assert code == 1
    assert "bad.csv importerades inte (2 fel); ingenting sparades." in err
    assert "Rad 2, kolumn E-post: ogiltig e-postadress 'anna.berg'" in err
    assert "Rad 3, kolumn Status: okänt läge 'Vilande'" in err
    code, out, _ = run_cli("--database", db, "plan", "list", "--json")
    assert out.strip() == "[]"


def test_cli_dry_run_checks_and_saves_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    run_cli("--database", db, "init")
    code, out, _ = run_cli("--database", db, "plan", "import", "--dry-run", str(EXAMPLE))
    assert code == 0
    assert "Åtgärder: 11 nya" in out
    assert out.splitlines()[-1] == "Provkörning: ingenting sparades."
    assert run_cli("--database", db, "plan", "list", "--json")[1].strip() == "[]"


def test_cli_takes_the_title_from_an_option_when_a_csv_has_no_sidecar(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    run_cli("--database", db, "init")
    path = write_csv(tmp_path / "plan.csv", ROWS, sidecar=None)

    code, _, err = run_cli("--database", db, "plan", "import", str(path))
    assert code == 1
    assert "Planens titel saknas" in err

    code, out, err = run_cli(
        "--database", db, "plan", "import", str(path), "--title", "Min plan", "--forvaltning", "UF"
    )
    assert code == 0, err
    assert out.startswith("Plan 1: Min plan (ny).")


# --- numbers and dates a plan file gives -----------------------------------------------------

BUDGET_HEADER = ["Utvecklingsområde", "Åtgärd", "E-post", "Tidsplan", "Budget (kr)"]


def budget_rows(*budgets: str) -> list[list[str]]:
    return [
        ["Ekonomi", f"Åtgärd {i}", "anna.berg@pitea.example", "Klart till mars 2018", budget]
        for i, budget in enumerate(budgets, start=1)
    ]


def test_a_budget_beyond_the_maximum_or_below_zero_is_refused_naming_row_and_column(
    app: App, now: datetime, tmp_path: Path
) -> None:
    rows = budget_rows("9223372036854775808", "-5", "2 000 000 001 kr", "1" * 5000, "0")
    path = write_csv(tmp_path / "plan.csv", rows, header=BUDGET_HEADER)

    problems = refusal(app, path, now)

    assert problems == [
        "Rad 2, kolumn Budget (kr): beloppet '9223372036854775808' är för stort "
        "(högst 2 000 000 000 kr)",
        "Rad 3, kolumn Budget (kr): beloppet '-5' är negativt (skriv 0 eller mer)",
        "Rad 4, kolumn Budget (kr): beloppet '2 000 000 001 kr' är för stort "
        "(högst 2 000 000 000 kr)",
        "Rad 5, kolumn Budget (kr): beloppet '11111111111111111111… (5000 tecken)' är för "
        "stort (högst 2 000 000 000 kr)",
    ]
    assert counts(app) == dict.fromkeys(counts(app), 0)


def test_the_largest_budget_is_stored_as_whole_kronor(
    app: App, now: datetime, tmp_path: Path
) -> None:
    rows = budget_rows("2 000 000 000 kr", "0", "120000")
    do_import(app, write_csv(tmp_path / "plan.csv", rows, header=BUDGET_HEADER), now)
    assert [a.budget_sek for _, a, _ in plan_actions(app)] == [2_000_000_000, 0, 120_000]


def test_cli_refuses_a_budget_beyond_64_bits_with_a_message_not_a_traceback(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "t.db")
    run_cli("--database", db, "init")
    rows = budget_rows("9223372036854775808")
    path = write_csv(tmp_path / "plan.csv", rows, header=BUDGET_HEADER)

    code, _, err = run_cli("--database", db, "plan", "import", str(path))

    assert code == 1
    assert "Traceback" not in err
    assert "Rad 2, kolumn Budget (kr): beloppet '9223372036854775808' är för stort" in err


DATE_HEADER = ["Utvecklingsområde", "Åtgärd", "E-post", "Tidsplan", "Klart till", "Utvärderas"]


def date_rows(*dates: tuple[str, str, str]) -> list[list[str]]:
    return [
        ["Ekonomi", f"Åtgärd {i}", "anna.berg@pitea.example", *given]
        for i, given in enumerate(dates, start=1)
    ]


def test_a_date_column_outside_2000_to_2100_is_refused_naming_row_and_column(
    app: App, now: datetime, tmp_path: Path
) -> None:
    rows = date_rows(
        ("", "1900-01-01", ""),
        ("", "mars 2018", "2200-01-01"),
        ("", "december 1999", "oktober 2018"),
    )
    path = write_csv(tmp_path / "plan.csv", rows, header=DATE_HEADER)

    assert refusal(app, path, now) == [
        "Rad 2, kolumn Klart till: orimligt årtal i '1900-01-01' (ange ett år från 2000 till 2100)",
        "Rad 3, kolumn Utvärderas: orimligt årtal i '2200-01-01' (ange ett år från 2000 till 2100)",
        "Rad 4, kolumn Klart till: orimligt årtal i 'december 1999' (ange ett år från 2000 "
        "till 2100)",
    ]


def test_a_tidsplan_year_outside_2000_to_2100_is_a_warning_and_no_date(
    app: App, now: datetime, tmp_path: Path
) -> None:
    rows = [[*ROWS[0][:4], "Klart till mars 1900. Utvärderas oktober 2018.", "", ""]]
    result = do_import(app, write_csv(tmp_path / "plan.csv", rows), now)
    assert [str(w) for w in result.warnings] == [
        "Rad 2, kolumn Tidsplan: orimligt årtal i 'mars 1900' (ange ett år från 2000 till "
        "2100); texten sparas som den är"
    ]
    (_, action, _) = plan_actions(app)[0]
    assert (action.due_on, action.evaluate_on) == (None, date(2018, 10, 31))


def test_an_xlsx_date_cell_outside_2000_to_2100_is_refused(
    app: App, now: datetime, tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Åtgärder"
    ws.append(["Utvecklingsområde", "Åtgärd", "E-post", "Klart till", "Utvärderas"])
    ws.append(["Ekonomi", "Åtgärd", "anna.berg@pitea.example", datetime(1999, 12, 31), None])
    ws.append(["Ekonomi", "Annan", "anna.berg@pitea.example", datetime(2018, 3, 31), None])
    meta = wb.create_sheet("Plan")
    meta.append(["Fält", "Värde"])
    meta.append(["Titel", "Plan"])
    meta.append(["Nästa återrapport", datetime(1900, 1, 1)])
    path = tmp_path / "plan.xlsx"
    wb.save(path)

    assert refusal(app, path, now) == [
        "Blad Plan: Rad 3, kolumn Värde: Nästa återrapport: orimligt årtal i '1900-01-01' "
        "(ange ett år från 2000 till 2100)",
        "Rad 2, kolumn Klart till: orimligt årtal i '1999-12-31' (ange ett år från 2000 till 2100)",
    ]


def test_a_sidecar_date_outside_2000_to_2100_is_refused(
    app: App, now: datetime, tmp_path: Path
) -> None:
    sidecar = SIDECAR.replace("next_report_on = 2018-06-30", "next_report_on = 1900-06-30")
    path = write_csv(tmp_path / "plan.csv", ROWS, sidecar=sidecar)
    assert refusal(app, path, now) == [
        "plan.plan.toml: Fältet next_report_on: orimligt årtal i '1900-06-30' (ange ett år från "
        "2000 till 2100)"
    ]


def test_a_date_with_a_time_of_day_is_read_as_that_date_in_columns_and_tidsplan(
    app: App, now: datetime, tmp_path: Path
) -> None:
    rows = date_rows(
        ("", "2018-03-31T12:00:00", "2018-10-31T00:00:00"),
        ("Klart till 2018-03-31T12:00:00. Utvärderas 2018-10-31T08:00.", "", ""),
    )
    result = do_import(app, write_csv(tmp_path / "plan.csv", rows, header=DATE_HEADER), now)
    assert result.warnings == []
    got = [(a.due_on, a.evaluate_on) for _, a, _ in plan_actions(app)]
    assert got == [(date(2018, 3, 31), date(2018, 10, 31))] * 2


def test_an_evaluation_before_the_due_date_is_a_warning_and_both_dates_are_kept(
    app: App, now: datetime, tmp_path: Path
) -> None:
    rows = date_rows(
        ("", "oktober 2018", "mars 2018"),
        ("Klart till oktober 2018. Utvärderas mars 2018.", "", ""),
        ("", "mars 2018", "mars 2018"),  # the same day is no warning
    )
    result = do_import(app, write_csv(tmp_path / "plan.csv", rows, header=DATE_HEADER), now)

    assert [str(w) for w in result.warnings] == [
        "Rad 2, kolumn Utvärderas: utvärderingen 2018-03-31 ligger före klart-datumet "
        "2018-10-31; datumen sparas som de är, kontrollera dem",
        "Rad 3, kolumn Tidsplan: utvärderingen 2018-03-31 ligger före klart-datumet "
        "2018-10-31; datumen sparas som de är, kontrollera dem",
    ]
    got = [(a.due_on, a.evaluate_on) for _, a, _ in plan_actions(app)]
    assert got[:2] == [(date(2018, 10, 31), date(2018, 3, 31))] * 2


def test_cli_dry_run_shows_the_warning_for_an_evaluation_before_the_due_date(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "t.db")
    run_cli("--database", db, "init")
    rows = [[*ROWS[0][:4], "Klart till oktober 2018. Utvärderas mars 2018.", "", ""]]
    path = write_csv(tmp_path / "plan.csv", rows)

    code, out, _ = run_cli("--database", db, "plan", "import", "--dry-run", str(path))

    assert code == 0
    assert (
        "  Rad 2, kolumn Tidsplan: utvärderingen 2018-03-31 ligger före klart-datumet "
        "2018-10-31; datumen sparas som de är, kontrollera dem"
    ) in out.splitlines()


# --- owners' names and addresses as written ---------------------------------------------------

OWNER_HEADER = ["Utvecklingsområde", "Åtgärd", "Ansvarig", "E-post", "Klart till", "Status"]


def test_an_owner_name_with_line_breaks_is_stored_on_one_line_and_adds_no_line_to_the_mail(
    app: App, now: datetime, tmp_path: Path
) -> None:
    from tracker.models import OutboxMessage
    from tracker.services.reminders import send_reminders

    rows = [
        [
            "Ekonomiskt stöd till rektor",
            "Ta fram ett upplägg för stödet",
            "Karin\x07 Lindström\r\nBcc: alla@pitea.example",
            "karin.lindstrom@pitea.example",
            "2018-01-03",  # overdue a week on the fixed `now`: a reminder goes out today
            "Pågår",
        ]
    ]
    path = write_csv(tmp_path / "plan.csv", rows, header=OWNER_HEADER)
    do_import(app, path, now)
    [(_, _, owner)] = plan_actions(app)
    assert owner is not None
    assert owner.name == "Karin Lindström Bcc: alla@pitea.example"

    send_reminders(app, now=now)
    with Session(app.engine) as s:
        [digest] = s.exec(
            select(OutboxMessage).where(OutboxMessage.to_addr == "karin.lindstrom@pitea.example")
        ).all()
    assert "Hej Karin Lindström Bcc: alla@pitea.example," in digest.body_text
    assert not [line for line in digest.body_text.splitlines() if line.startswith("Bcc:")]
    assert "\x07" not in digest.body_text and "\r" not in digest.body_text


def test_owner_addresses_outside_ascii_are_taken_and_one_that_can_never_be_sent_is_refused(
    app: App, now: datetime, tmp_path: Path
) -> None:
    area = "Rektorernas ledarskap"
    good = [
        [area, "Första åtgärden", "Åsa Öst", "Åsa.Öst@pitea.example", "2018-06-30", "Pågår"],
        [area, "Andra åtgärden", "Bo Ek", "bo@kommunförvaltning.example", "2018-06-30", "Pågår"],
    ]
    do_import(app, write_csv(tmp_path / "plan.csv", good, header=OWNER_HEADER), now)
    assert [p.email for _, _, p in plan_actions(app) if p] == [
        "åsa.öst@pitea.example",
        "bo@kommunförvaltning.example",
    ]

    bad = [[area, "Tredje åtgärden", "Snö Man", "snö@snö☃.example", "2018-06-30", "Pågår"]]
    before = counts(app)
    problems = refusal(app, write_csv(tmp_path / "bad.csv", bad, header=OWNER_HEADER), now)
    assert problems == ["Rad 2, kolumn E-post: ogiltig e-postadress 'snö@snö☃.example'"]
    assert counts(app) == before


def test_cli_refuses_a_file_named_xlsx_that_is_no_workbook_in_swedish(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    run_cli("--database", db, "init")
    path = write_csv(tmp_path / "plan.xlsx", ROWS, sidecar=None)

    code, _, err = run_cli("--database", db, "plan", "import", str(path))

    assert code == 1
    assert err.strip() == (
        "Fel: Filen 'plan.xlsx' kunde inte läsas som XLSX: den är skadad eller inte en "
        "Excel-arbetsbok. Spara den på nytt som Excel-arbetsbok (.xlsx) eller som CSV."
    )
    assert run_cli("--database", db, "plan", "list", "--json")[1].strip() == "[]"


@pytest.mark.parametrize(
    ("sidecar", "said"),
    [
        (b"\x80title = 'x'\n", "Planfilen är inte UTF-8-text"),
        (b"# " + b"x" * importing.MAX_SIDECAR_BYTES, "Planfilen är större än"),
    ],
)
def test_a_sidecar_that_is_not_text_or_too_large_is_refused_in_swedish(
    app: App, now: datetime, tmp_path: Path, sidecar: bytes, said: str
) -> None:
    path = write_csv(tmp_path / "plan.csv", ROWS, sidecar=SIDECAR)
    (tmp_path / "plan.plan.toml").write_bytes(sidecar)
    before = counts(app)
    [problem] = refusal(app, path, now)
    assert problem.startswith(said)
    assert counts(app) == before


def test_a_plan_file_larger_than_the_limit_is_refused_without_being_read_whole(
    app: App, now: datetime, tmp_path: Path
) -> None:
    path = tmp_path / "plan.csv"
    with path.open("wb") as fh:  # sparse: a gigabyte on disk costs nothing
        fh.truncate(2**30)
    [problem] = refusal(app, path, now)
    assert "MB läses" in problem


def test_a_broken_sidecar_and_a_wrong_type_are_said_in_swedish_as_written(
    app: App, now: datetime, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "plan.csv", ROWS, sidecar="[plan]\ntitle = \n")
    said = refusal(app, path, now)
    assert said[0] == "plan.plan.toml: Filen är inte giltig TOML: fel på rad 2, tecken 9"
    path = write_csv(tmp_path / "plan.csv", ROWS, sidecar="[plan]\ntitle = 2018-06-30\n")
    said = refusal(app, path, now)
    assert any(p.endswith("ska vara text (fick '2018-06-30')") for p in said), said


def test_a_known_address_keeps_its_persons_name_and_a_different_name_is_a_warning(
    app: App, now: datetime, tmp_path: Path
) -> None:
    from tracker.services import people

    with app.transaction() as s:
        people.ensure_person(s, "eva.nordin@pitea.example", now=now, name="Eva Nordin")
        people.ensure_person(s, "nameless@pitea.example", now=now)
        people.ensure_person(s, "bo.ek@pitea.example", now=now, name="Bo Ek")
    area = "Rektorernas ledarskap"
    rows = [
        [area, "Första åtgärden", "Åsa Öhman", "eva.nordin@pitea.example", "2018-06-30", "Pågår"],
        [area, "Andra åtgärden", "BO  EK", "bo.ek@pitea.example", "2018-06-30", "Pågår"],
        [area, "Tredje åtgärden", "Nils Namn", "nameless@pitea.example", "2018-06-30", "Pågår"],
        [area, "Fjärde åtgärden", "Åsa Öhman", "eva.nordin@pitea.example", "2018-06-30", "Pågår"],
    ]
    result = do_import(app, write_csv(tmp_path / "plan.csv", rows, header=OWNER_HEADER), now)

    # Each row that names her wrongly is said, with its own row number.
    assert [str(w) for w in result.warnings] == [
        f"Rad {row}, kolumn Ansvarig: namnet 'Åsa Öhman' används inte: eva.nordin@pitea.example "
        "hör redan till Eva Nordin (ändra namnet med tracker person set "
        "eva.nordin@pitea.example --name ...)"
        for row in (2, 5)
    ]
    # Eva keeps her name, and so does Bo, whose name was only typed in capitals; a person who
    # had none gets the file's.
    assert [p.name for _, _, p in plan_actions(app) if p] == [
        "Eva Nordin",
        "Bo Ek",
        "Nils Namn",
        "Eva Nordin",
    ]
