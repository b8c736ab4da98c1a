"""`tracker internkontroll import`, `show` and `list`: a nämnd's internkontrollplan read from
a file, stored, and shown with risk values, bands and each kontrollmoment's next date."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from tracker.app import App
from tracker.cli import cli
from tracker.domain.problems import FileRefused
from tracker.domain.workdays import WorkCalendar
from tracker.errors import Refused
from tracker.models import ControlPlan, ControlPoint, ControlRisk, Person
from tracker.services import internal_control

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "internkontroll-skola.csv"
NAMND = "Barn- och utbildningsnämnden"
NOW = datetime(2025, 1, 20, 9, 0, tzinfo=UTC)


def tracker(db_url: str, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--database", db_url, *args])
    assert result.exit_code == code, result.output
    return result.output


def import_example(db_url: str, year: str = "2025", code: int = 0) -> str:
    return tracker(
        db_url,
        "internkontroll",
        "import",
        str(EXAMPLE),
        "--namnd",
        NAMND,
        "--year",
        year,
        "--forvaltning",
        "Barn- och utbildningsförvaltningen",
        code=code,
    )


def counts(app: App) -> tuple[int, int, int, int]:
    with app.transaction() as s:
        return tuple(  # type: ignore[return-value]
            s.exec(select(func.count()).select_from(table)).one()
            for table in (ControlPlan, ControlRisk, ControlPoint, Person)
        )


def test_importing_the_school_plan_stores_its_risks_controls_and_owners(
    app: App, db_url: str
) -> None:
    out = import_example(db_url)
    assert out.splitlines() == [
        f"Internkontrollplan 2025 – {NAMND} (nummer 1) lästes in från internkontroll-skola.csv:",
        "  Processer: 10",
        "  Risker: 10, varav 1 utan kontrollmoment",
        "  Kontrollmoment: 9",
        "  Nya ansvariga: 6",
    ]
    assert counts(app) == (1, 10, 9, 6)
    with app.transaction() as s:
        accepted = s.exec(
            select(ControlRisk).where(col(ControlRisk.name).startswith("Elevdatorer"))
        ).one()
        assert accepted.handling == "Risken accepteras, följs upp i nästa riskanalys"
        owner = s.get(Person, accepted.handling_owner_id)
        assert owner is not None and owner.email == "anna.lindqvist@pitea.example"
        purchase = s.exec(
            select(ControlPoint).where(ControlPoint.frequency_text == "mars och oktober")
        ).one()
        maria = s.get(Person, purchase.owner_id)
        assert maria is not None and (maria.name, maria.email) == (
            "Maria Öberg",
            "maria.oberg@pitea.example",
        )
    assert "Barn- och utbildningsförvaltningen" in tracker(db_url, "internkontroll", "list")


def test_a_title_above_the_control_plans_table_is_passed_over_with_a_warning(
    app: App, db_url: str, tmp_path: Path
) -> None:
    titled = tmp_path / "titel.csv"
    titled.write_bytes(
        b"Internkontrollplan 2025\r\n\r\n" + EXAMPLE.read_bytes().removeprefix(b"\xef\xbb\xbf")
    )
    out = tracker(
        db_url, "internkontroll", "import", str(titled), "--namnd", NAMND, "--year", "2025"
    )
    assert "Varning: Rad 1: ligger ovanför rubrikraden (rad 3) och lästes inte" in out
    assert counts(app) == (1, 10, 9, 6)


def test_show_gives_values_bands_and_the_next_control_per_a_given_day(
    app: App, db_url: str
) -> None:
    import_example(db_url)
    data = json.loads(
        tracker(db_url, "internkontroll", "show", "1", "--per", "2025-05-10", "--json")
    )
    assert data["title"] == f"Internkontrollplan 2025 – {NAMND}"
    assert data["per"] == "2025-05-10"
    rows = [
        (r["value"], r["band"], [(c["frequency"], c["next_on"]) for c in r["controls"]])
        for r in data["risks"]
    ]
    assert rows == [
        (8, "Hög", [("halvårsvis", "2025-06-30")]),
        (12, "Mycket hög", [("varje kvartal", "2025-06-30")]),
        (9, "Hög", [("mars och oktober", "2025-10-31")]),
        # 31 May 2025 is a Saturday: the control is made the Friday before.
        (6, "Medel", [("månadsvis", "2025-05-30")]),
        (8, "Hög", [("per tertial", "2025-08-29")]),
        (6, "Medel", [("varje kvartal", "2025-06-30")]),
        (6, "Medel", [("halvårsvis", "2025-06-30")]),
        (8, "Hög", [("per tertial", "2025-08-29")]),
        # Nyårsafton is closed.
        (4, "Medel", [("årligen", "2025-12-30")]),
        (2, "Låg", []),
    ]
    first = data["risks"][0]["controls"][0]
    assert first["owner"] == "Anna Lindqvist"
    assert first["method"].startswith("Stickprov 10 elever")
    assert data["risks"][9]["handling"] == "Risken accepteras, följs upp i nästa riskanalys"

    text = tracker(db_url, "internkontroll", "show", "1", "--per", "2025-05-10")
    assert "2   Trygghet och studiero  3  4  12     Mycket hög" in text
    assert "   Frekvens: mars och oktober\n   Ansvarig: Maria Öberg\n" in text
    assert "   Nästa kontrolltillfälle: 2025-10-31\n" in text
    assert text.endswith(
        "   Hantering: Risken accepteras, följs upp i nästa riskanalys\n"
        "   Ansvarig: Anna Lindqvist\n"
    )


def test_a_control_due_today_is_next_and_none_remain_after_the_plan_year(
    app: App, db_url: str
) -> None:
    import_example(db_url)
    with app.transaction() as s:
        cal = WorkCalendar()
        on_the_day = internal_control.control_plan_view(s, 1, today=date(2025, 6, 30), cal=cal)
        before = internal_control.control_plan_view(s, 1, today=date(2024, 11, 1), cal=cal)
        after = internal_control.control_plan_view(s, 1, today=date(2026, 1, 15), cal=cal)
    assert on_the_day.risks[0].controls[0].next_on == date(2025, 6, 30)
    # Before the plan's year the first control of that year is next, not one of 2024.
    assert before.risks[3].controls[0].next_on == date(2025, 1, 31)
    assert [c.next_on for r in after.risks for c in r.controls] == [None] * 9
    out = tracker(db_url, "internkontroll", "show", "1", "--per", "2026-01-15")
    assert "Nästa kontrolltillfälle: inga fler under 2025" in out


def test_a_bad_file_is_refused_whole_with_row_and_column_and_nothing_is_stored(
    app: App, db_url: str, tmp_path: Path
) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace(";3;4;", ";7;4;")  # Sannolikhet off the 1–4 scale
    lines[4] = lines[4].replace(";månadsvis;", ";ibland;")
    lines[6] = lines[6].replace("lars.sjoberg@pitea.example", "lars.sjoberg")
    bad = tmp_path / "trasig.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tracker(
        db_url, "internkontroll", "import", str(bad), "--namnd", NAMND, "--year", "2025", code=1
    )
    assert "trasig.csv importerades inte (3 fel); ingenting sparades." in out
    assert "Rad 3, kolumn Sannolikhet: '7' är inte en siffra från 1 till 4" in out
    assert "Rad 5, kolumn Frekvens:" in out and "'ibland'" in out
    assert "Rad 7, kolumn E-post: ogiltig e-postadress 'lars.sjoberg'" in out
    assert counts(app) == (0, 0, 0, 0)


@pytest.mark.parametrize("rating", ["²", "①", "1" * 5000])
def test_a_rating_that_only_looks_like_a_digit_is_refused_with_row_and_column(
    app: App, rating: str
) -> None:
    # "²".isdigit() is true, but int() refuses it, as it does 5 000 digits: the file must
    # say so, not fail.
    lines = EXAMPLE.read_text(encoding="utf-8-sig").splitlines()
    lines[1] = lines[1].replace(";2;4;", f";{rating};4;", 1)
    data = ("\n".join(lines) + "\n").encode()
    with app.transaction() as s, pytest.raises(FileRefused) as refused:
        internal_control.import_control_plan(
            s, app.registry, data, "ik.csv", namnd=NAMND, year=2025, now=NOW
        )
    assert [str(p) for p in refused.value.problems] == [
        f"Rad 2, kolumn Sannolikhet: '{rating}' är inte en siffra från 1 till 4"
    ]
    assert counts(app) == (0, 0, 0, 0)


def test_a_second_plan_for_the_same_namnd_and_year_is_refused_and_owners_are_created_once(
    app: App, db_url: str
) -> None:
    import_example(db_url)
    out = import_example(db_url, code=1)
    assert f"{NAMND} har redan en internkontrollplan för 2025 (nummer 1)" in out
    assert counts(app) == (1, 10, 9, 6)
    # Another year is another plan; its owners are the people already known.
    assert "  Nya ansvariga: 0" in import_example(db_url, year="2026")
    assert counts(app) == (2, 20, 18, 6)
    listed = tracker(db_url, "internkontroll", "list").splitlines()
    assert [line.split()[:2] for line in listed[1:]] == [["2", "2026"], ["1", "2025"]]


def test_the_service_refuses_a_missing_namnd_before_reading_the_file(app: App) -> None:
    with app.transaction() as s, pytest.raises(Refused) as refused:
        internal_control.import_control_plan(
            s, app.registry, EXAMPLE.read_bytes(), EXAMPLE.name, namnd="  ", year=2025, now=NOW
        )
    assert refused.value.message == "Ange nämnden som har antagit internkontrollplanen."
    assert counts(app) == (0, 0, 0, 0)


FIVE_LEVELS = {
    "levels": 5,
    "likelihood": ["Mycket osannolik", "Osannolik", "Möjlig", "Sannolik", "Mycket sannolik"],
    "consequence": ["Försumbar", "Lindrig", "Kännbar", "Allvarlig", "Mycket allvarlig"],
    "bands": [
        {"upto": 4, "label": "Låg", "colour": "#2e7d32"},
        {"upto": 9, "label": "Medel", "colour": "#fdd835"},
        {"upto": 16, "label": "Hög", "colour": "#ef6c00"},
        {"upto": 25, "label": "Mycket hög", "colour": "#c62828"},
    ],
}


def test_the_kommun_s_risk_scale_comes_from_the_settings_and_stays_with_the_plan(
    settings, engine, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from tracker.app import App as TrackerApp
    from workflows.registry import default_registry

    five = TrackerApp(
        settings=settings.model_copy(update={"risk": FIVE_LEVELS}),
        engine=engine,
        registry=default_registry(),
    )
    five_levels = EXAMPLE.read_bytes().replace(b";2;4;", b";5;5;", 1)
    with five.transaction() as s:
        result = internal_control.import_control_plan(
            s,
            five.registry,
            five_levels,
            "ik.csv",
            namnd=NAMND,
            year=2025,
            now=NOW,
            scale=five.risk_scale,
        )
    # Read back with the default scale in force: the plan keeps the one it was assessed on.
    default = TrackerApp(settings=settings, engine=engine, registry=default_registry())
    with default.transaction() as s:
        plan = s.get_one(ControlPlan, result.plan_id)
        scale = internal_control.scale_of(plan)
        view = internal_control.control_plan_view(
            s, result.plan_id, today=date(2025, 2, 1), cal=WorkCalendar()
        )
    assert scale.levels == 5 and scale.likelihood_label(5) == "Mycket sannolik"
    assert view.risks[0].value == 25
    # The same file is refused on SKR's 1–4: a 5 is off that scale.
    with (
        default.transaction() as s,
        pytest.raises(
            FileRefused, match="Rad 2, kolumn Sannolikhet: '5' är inte en siffra från 1 till 4"
        ),
    ):
        internal_control.import_control_plan(
            s, default.registry, five_levels, "ik.csv", namnd="Annan nämnd", year=2025, now=NOW
        )


def test_a_risk_scale_that_cannot_be_used_stops_the_start_with_the_reason(settings) -> None:  # type: ignore[no-untyped-def]
    from tracker.app import bootstrap
    from tracker.domain.risk import RiskScaleError

    with pytest.raises(RiskScaleError, match="Antalet nivåer"):
        bootstrap(settings.model_copy(update={"risk": {"levels": 12}}))


def test_the_command_line_copies_a_plan_to_next_year_and_re_assesses_a_risk(
    app: App, db_url: str
) -> None:
    import_example(db_url)
    out = tracker(db_url, "internkontroll", "copy", "1")
    assert out.splitlines()[0] == (
        "Internkontrollplan 2026 – Barn- och utbildningsnämnden (nummer 2) är gjord: "
        "10 risker och 9 kontrollmoment, med årets bedömning av riskerna."
    )
    out = tracker(
        db_url,
        "internkontroll",
        "reassess",
        "2",
        "--risk",
        "3",
        "--sannolikhet",
        "4",
        "--konsekvens",
        "4",
    )
    assert out.strip() == "Risk 3, Inköp utanför avtal: riskvärde 16 (Mycket hög)."
    refused = tracker(
        db_url,
        "internkontroll",
        "reassess",
        "2",
        "--risk",
        "11",
        "--sannolikhet",
        "1",
        "--konsekvens",
        "1",
        code=1,
    )
    assert "Planen har ingen risk 11; den har 10." in refused
    again = tracker(db_url, "internkontroll", "copy", "1", code=1)
    assert "har redan en internkontrollplan för 2026 (nummer 2)" in again
    with app.transaction() as s:
        plans = s.exec(select(ControlPlan).order_by(col(ControlPlan.year))).all()
    assert [(p.year, p.plan_id is not None) for p in plans] == [(2025, True), (2026, True)]


def test_a_risk_answered_with_an_atgard_gets_it_straight_away(app: App) -> None:
    from tracker.models import Action, Area

    decided = EXAMPLE.read_text(encoding="utf-8").replace(
        "Risken accepteras, följs upp i nästa riskanalys",
        "Åtgärd: Rutin för återlämning av elevdatorer vid skolbyte tas fram",
    )
    with app.transaction() as s:
        result = internal_control.import_control_plan(
            s, app.registry, decided.encode(), "ik.csv", namnd=NAMND, year=2025, now=NOW
        )
        plan = s.get_one(ControlPlan, result.plan_id)
        made = s.exec(select(Action).where(Action.plan_id == plan.plan_id)).all()
        area = s.get_one(Area, made[0].area_id) if made else None
        anna = s.exec(select(Person).where(Person.email == "anna.lindqvist@pitea.example")).one()
    assert result.actions_decided == 1
    assert [(a.text, a.workflow, a.state, a.owner_id) for a in made] == [
        (
            "Rutin för återlämning av elevdatorer vid skolbyte tas fram "
            "(risk: Elevdatorer lämnas inte tillbaka vid skolbyte)",
            "atgard",
            "ej_paborjat",
            anna.id,
        )
    ]
    assert area is not None and area.title == "Åtgärder från internkontroll"


def test_a_known_owner_keeps_her_name_and_the_name_in_the_file_is_a_warning(app: App) -> None:
    from tracker.services import people

    with app.transaction() as s:
        people.ensure_person(s, "maria.oberg@pitea.example", now=NOW, name="Maria Öberg Lind")
        result = internal_control.import_control_plan(
            s, app.registry, EXAMPLE.read_bytes(), "ik.csv", namnd=NAMND, year=2025, now=NOW
        )
        maria = people.get_person(s, "maria.oberg@pitea.example")
    assert maria.name == "Maria Öberg Lind"
    unused = [w for w in result.warnings if "används inte" in w]
    assert unused == [
        f"Rad {row}, kolumn Ansvarig: namnet 'Maria Öberg' används inte: "
        "maria.oberg@pitea.example hör redan till Maria Öberg Lind (ändra namnet med tracker "
        "person set maria.oberg@pitea.example --name ...)"
        for row in (4, 8)
    ]


def _imported(app: App) -> int:
    with app.transaction() as s:
        return internal_control.import_control_plan(
            s, app.registry, EXAMPLE.read_bytes(), EXAMPLE.name, namnd=NAMND, year=2025, now=NOW
        ).plan_id


def _chef(s: Session) -> Person:
    from tracker.services.people import ensure_person

    return ensure_person(s, "chef@kommun.example", now=NOW, name="Chef Chefsson")


def test_a_risk_and_a_kontrollmoment_added_by_hand_are_shown_and_recorded_with_who(
    app: App,
) -> None:
    from tracker.models import PlanEvent
    from tracker.services import plan_settings

    plan_id = _imported(app)
    with app.transaction() as s:
        chef = _chef(s)
        risk = internal_control.add_risk(
            s,
            plan_id,
            process=" inköp ",
            name="Ramavtal  saknas",
            likelihood=2,
            consequence=4,
            now=NOW,
            actor=chef,
        )
        assert risk.id is not None
        internal_control.add_control_point(
            s,
            plan_id,
            risk.id,
            text="Avtalstrohet följs upp",
            method="Utdrag ur e-handeln",
            frequency_text="mars och oktober",
            owner=chef,
            now=NOW,
            actor=chef,
        )
        view = internal_control.control_plan_view(s, plan_id, today=NOW.date(), cal=WorkCalendar())
        control_plan = s.get_one(ControlPlan, plan_id)
        events = plan_settings.history(s, control_plan.plan_id or 0)
    added = view.risks[-1]
    # The process keeps the plan's spelling; the risk is numbered last.
    assert (added.process, added.name, added.value) == ("Inköp", "Ramavtal saknas", 8)
    [point] = added.controls
    assert (point.frequency_text, point.owner_email) == ("mars och oktober", "chef@kommun.example")
    assert point.next_on == date(2025, 3, 31)
    assert [e.field for e in events] == [internal_control.POINT_ADDED, internal_control.RISK_ADDED]
    assert all(isinstance(e, PlanEvent) and e.actor_id == chef.id for e in events)
    assert "Chef Chefsson" in events[0].actor_label


def test_what_the_import_refuses_is_refused_by_hand_with_the_same_words_and_nothing_stored(
    app: App,
) -> None:
    from tracker.domain.controls import parse_frequency

    plan_id = _imported(app)
    before = counts(app)
    with app.transaction() as s:
        chef = _chef(s)
        first = s.exec(select(ControlRisk).order_by(col(ControlRisk.id))).first()
        assert first is not None and first.id is not None
        for written in ("löpande", "årligen i mars och oktober", "31 februari"):
            with pytest.raises(ValueError) as parsed:
                parse_frequency(written)
            with pytest.raises(Refused) as refused:
                internal_control.add_control_point(
                    s,
                    plan_id,
                    first.id,
                    text="Något kontrolleras",
                    method="",
                    frequency_text=written,
                    owner=None,
                    now=NOW,
                    actor=chef,
                )
            assert refused.value.message == str(parsed.value)
            assert list(refused.value.fields) == ["frequency"]
        with pytest.raises(Refused, match="Sannolikhet ska vara mellan 1 och 4, inte 5"):
            internal_control.add_risk(
                s,
                plan_id,
                process="Inköp",
                name="Ny",
                likelihood=5,
                consequence=1,
                now=NOW,
                actor=chef,
            )
        with pytest.raises(Refused, match="Risken finns redan i processen Inköp: risk 3"):
            internal_control.add_risk(
                s,
                plan_id,
                process="INKÖP",
                name="inköp utanför  avtal",
                likelihood=1,
                consequence=1,
                now=NOW,
                actor=chef,
            )
        with pytest.raises(Refused, match="Processen måste fyllas i"):
            internal_control.add_risk(
                s,
                plan_id,
                process=" ",
                name="Ny",
                likelihood=1,
                consequence=1,
                now=NOW,
                actor=chef,
            )
        s.rollback()
    assert counts(app) == before


def _history(app: App, plan_id: int) -> list[tuple[str, str, str, str]]:
    with app.transaction() as s:
        return [
            (event.field, event.actor_label, change.old, change.new)
            for event, change in internal_control.history(s, plan_id)
        ]


def test_a_new_assessment_of_a_risk_is_in_the_plans_history_from_what_to_what(
    app: App, db_url: str
) -> None:
    plan_id = _imported(app)
    with app.transaction() as s:
        chef = _chef(s)
        internal_control.reassess(s, plan_id, {3: (4, 4), 4: (3, 2)}, now=NOW, actor=chef)
    tracker(
        db_url, "internkontroll", "reassess", str(plan_id), "--risk", "1",
        "--sannolikhet", "1", "--konsekvens", "1",
    )  # fmt: skip
    assert _history(app, plan_id) == [
        (
            internal_control.RISK_REASSESSED,
            "kommandoraden",
            "Risk 1: Betyg sätts inte enligt rutin, sannolikhet 2, konsekvens 4, riskvärde 8 (Hög)",
            "Risk 1: Betyg sätts inte enligt rutin, sannolikhet 1, konsekvens 1, riskvärde 1 (Låg)",
        ),
        (
            internal_control.RISK_REASSESSED,
            "Chef Chefsson <chef@kommun.example>",
            "Risk 3: Inköp utanför avtal, sannolikhet 3, konsekvens 3, riskvärde 9 (Hög)",
            "Risk 3: Inköp utanför avtal, sannolikhet 4, konsekvens 4, riskvärde 16 (Mycket hög)",
        ),
    ]


def test_the_command_line_adds_a_risk_and_a_kontrollmoment_and_changes_it_as_the_page_does(
    app: App, db_url: str
) -> None:
    plan_id = str(_imported(app))
    out = tracker(
        db_url, "internkontroll", "add-risk", plan_id, "--process", " inköp ",
        "--text", "Ramavtal saknas", "--sannolikhet", "2", "--konsekvens", "4",
    )  # fmt: skip
    assert out.strip() == "Risk 11, Ramavtal saknas, är tillagd under Inköp."
    out = tracker(
        db_url, "internkontroll", "add-point", plan_id, "--risk", "11",
        "--text", "Avtalstrohet följs upp", "--frekvens", "mars och oktober",
        "--ansvarig", "ny@pitea.example", "--namn", "Ny Ägare",
    )  # fmt: skip
    assert out.splitlines()[0] == "Kontrollmoment 1 är tillagt under risk 11."
    out = tracker(
        db_url, "internkontroll", "change-point", plan_id, "--risk", "11", "--moment", "1",
        "--metod", "Utdrag ur e-handeln",
    )  # fmt: skip
    assert out.strip() == "Kontrollmoment 1 under risk 11 är ändrat."
    shown = tracker(db_url, "internkontroll", "show", plan_id, "--per", "2025-02-01")
    assert (
        "   Kontrollmoment 1: Avtalstrohet följs upp\n   Metod: Utdrag ur e-handeln\n"
        "   Frekvens: mars och oktober\n   Ansvarig: Ny Ägare\n"
    ) in shown
    history = _history(app, int(plan_id))
    assert [(f, who) for f, who, _, _ in history] == [
        (internal_control.POINT_CHANGED, "kommandoraden"),
        (internal_control.POINT_ADDED, "kommandoraden"),
        (internal_control.RISK_ADDED, "kommandoraden"),
    ]
    # The method changed, the frequency and owner kept as they were.
    assert history[0][2:] == (
        "Avtalstrohet följs upp (risk: Ramavtal saknas): mars och oktober, "
        "Ny Ägare <ny@pitea.example>",
        "Avtalstrohet följs upp (risk: Ramavtal saknas): metod Utdrag ur e-handeln, "
        "mars och oktober, Ny Ägare <ny@pitea.example>",
    )


def test_the_command_line_refuses_with_the_pages_words_and_stores_nothing(
    app: App, db_url: str
) -> None:
    from tracker.domain.controls import parse_frequency

    plan_id = str(_imported(app))
    before = counts(app)
    with pytest.raises(ValueError) as parsed:
        parse_frequency("vid behov")
    out = tracker(
        db_url, "internkontroll", "add-point", plan_id, "--risk", "1",
        "--text", "Något", "--frekvens", "vid behov", "--ansvarig", "ny@pitea.example",
        code=1,
    )  # fmt: skip
    assert f"Fel: {parsed.value}" in out
    out = tracker(
        db_url, "internkontroll", "add-risk", plan_id, "--process", "INKÖP",
        "--text", "inköp utanför  avtal", "--sannolikhet", "1", "--konsekvens", "1", code=1,
    )  # fmt: skip
    assert "Fel: Risken finns redan i processen Inköp: risk 3." in out
    out = tracker(
        db_url, "internkontroll", "add-risk", plan_id, "--process", "Inköp",
        "--text", "Ny", "--sannolikhet", "5", "--konsekvens", "1", code=1,
    )  # fmt: skip
    assert "Sannolikhet ska vara mellan 1 och 4, inte 5" in out
    out = tracker(
        db_url, "internkontroll", "change-point", plan_id, "--risk", "10", "--moment", "1",
        "--metod", "x", code=1,
    )  # fmt: skip
    assert "Fel: Risk 10 har inget kontrollmoment 1; den har 0." in out
    out = tracker(
        db_url, "internkontroll", "change-point", plan_id, "--risk", "1", "--moment", "1",
        "--ansvarig", "a@pitea.example", "--ingen-ansvarig", code=1,
    )  # fmt: skip
    assert "Ange antingen --ansvarig eller --ingen-ansvarig" in out
    assert counts(app) == before
    assert _history(app, int(plan_id)) == []


def test_a_kontrollmoment_left_without_owner_opens_its_controls_without_one_and_says_so(
    app: App, db_url: str
) -> None:
    """As an imported kontrollmoment without Ansvarig: the controls already opened stay with
    who has them, the ones to come open without owner, and whoever removed the owner is told."""
    from tracker.models import Action, ControlOccurrence
    from tracker.services import control_occurrences

    plan_id = _imported(app)
    with app.transaction() as s:
        control_occurrences.open_due_controls(
            s, app.registry, now=NOW, today=date(2025, 3, 20), cal=WorkCalendar()
        )
    out = tracker(
        db_url, "internkontroll", "change-point", str(plan_id), "--risk", "3", "--moment", "1",
        "--ingen-ansvarig",
    )  # fmt: skip
    assert internal_control.NO_OWNER_NOTICE in out
    assert internal_control.KEPT_CONTROLS_NOTICE in out
    with app.transaction() as s:
        point = internal_control.point_by_number(s, plan_id, 3, 1)
        [first] = s.exec(
            select(Action)
            .join(ControlOccurrence, col(ControlOccurrence.action_id) == Action.id)
            .where(ControlOccurrence.point_id == point.id)
        ).all()
        maria = s.exec(select(Person).where(Person.email == "maria.oberg@pitea.example")).one()
        opened = control_occurrences.open_due_controls(
            s, app.registry, now=NOW, today=date(2025, 10, 20), cal=WorkCalendar()
        )
    assert point.owner_id is None
    assert first.owner_id == maria.id
    [october] = [c for c in opened if c.point.id == point.id]
    assert october.owner is None
    [(what, _, old, new)] = _history(app, plan_id)
    assert what == internal_control.POINT_CHANGED
    assert old.endswith("Maria Öberg <maria.oberg@pitea.example>")
    assert new.endswith("ingen ansvarig")
    again = tracker(
        db_url, "internkontroll", "change-point", str(plan_id), "--risk", "3", "--moment", "1",
        "--ingen-ansvarig",
    )  # fmt: skip
    assert again.strip() == "Inget ändrades."


@pytest.mark.parametrize("year", ["2025", "2024", "2019"])
def test_a_plan_is_copied_only_to_a_year_after_its_own(app: App, db_url: str, year: str) -> None:
    """Next year's plan is made from this year's: a copy to the plan's own year or an
    earlier one, which has no plan yet, is refused and nothing is stored."""
    import_example(db_url)
    refused = tracker(db_url, "internkontroll", "copy", "1", "--year", year, code=1)
    assert refused.strip() == (
        f"Fel: Internkontrollplanen gäller 2025; den nya planen ska gälla ett senare år, "
        f"inte {year}."
    )
    assert counts(app)[:3] == (1, 10, 9)
    out = tracker(db_url, "internkontroll", "copy", "1", "--year", "2027")
    assert "Internkontrollplan 2027" in out
