"""The follow-up of an internkontrollplan to the nämnd ("Uppföljning av internkontrollplan
2025"): Barn- och utbildningsnämnden's school plan (examples/internkontroll-skola.csv) in its
first tertial. Controls are opened as the scheduler opens them, the owners report (Maria finds
purchases outside the agreements, which opens an åtgärd), the chef assesses and decides that
one control is not made; a control is left undone. Then the tertial report is drafted, the
chef writes the overall assessment, approves it, and it goes to the nämnd over real SMTP; the
documents are read back in all three formats, and the archive is checked and frozen.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select
from typer.testing import CliRunner

from tests.support import builders as b
from tests.support.documents import docx_language, docx_text, find_in_order, pdf_text, squash
from tests.support.smtp import SmtpServer
from tests.web.helpers import MovableClock, log_in
from tracker.app import App
from tracker.cli import cli
from tracker.domain.control_report import ControlSnapshot, compose_control
from tracker.domain.workdays import WorkCalendar
from tracker.errors import Refused
from tracker.models import (
    ControlOccurrence,
    ControlPlan,
    ControlPoint,
    OutboxMessage,
    Person,
    Plan,
    Report,
)
from tracker.reports.jobs import report_sweep
from tracker.services import actions, control_occurrences, control_report, internal_control
from tracker.services import reports as report_service
from tracker.services.dispatch import send_outbox
from tracker.web.main import create_app

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "internkontroll-skola.csv"
BUN = "Barn- och utbildningsnämnden"
FORVALTNING = "Utbildningsförvaltningen"
CAL = WorkCalendar()
ERIK = "erik.nilsson@pitea.example"
MARIA = "maria.oberg@pitea.example"
JOHAN = "johan.berg@pitea.example"
MARCH_31 = date(2025, 3, 31)
ATTENDANCE = "Kontroll att lärare registrerar frånvaro"
PURCHASES = "Kontroll att varor och tjänster"
RECIPIENTS = "namnd@pitea.example, sekreterare@pitea.example"
DEVIATION_TEXT = "Tre av tjugo fakturor gällde inköp från leverantörer utan avtal."
ASSESSMENT = (
    "Den interna kontrollen fungerar i huvudsak.\n"
    "- Inköpen utanför avtal åtgärdas med utbildning av beställarna.\n"
    "- Närvarokontrollen för februari och mars görs i april."
)


@dataclass(frozen=True)
class Tertial:
    control_plan_id: int
    plan_id: int
    chef: Person
    controls: dict[tuple[str, date], int]
    deviation_action_id: int


def pdf_figure_alts(data: bytes) -> list[str]:
    """The text alternatives of the figures in a tagged PDF's structure tree."""
    found: list[str] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if node.get("/S") == "/Figure":
                found.append(str(node.get("/Alt")))
            if "/K" in node:
                walk(node["/K"])

    walk(PdfReader(io.BytesIO(data)).trailer["/Root"]["/StructTreeRoot"])
    return found


def _person(app: App, email: str) -> Person:
    with app.transaction() as s:
        return s.exec(select(Person).where(Person.email == email)).one()


def _open(app: App, day: date) -> None:
    with app.transaction() as s:
        control_occurrences.open_due_controls(s, app.registry, now=b.at(day, 6), today=day, cal=CAL)


def _controls(app: App) -> dict[tuple[str, date], int]:
    """The opened controls by (kontrollmoment's text, due date)."""
    with app.transaction() as s:
        rows = s.exec(
            select(ControlPoint.text, ControlOccurrence.due_on, ControlOccurrence).join(
                ControlOccurrence, col(ControlOccurrence.point_id) == ControlPoint.id
            )
        ).all()
        return {(f, due): o.action_id for f, due, o in rows}


def _control(controls: dict[tuple[str, date], int], starts: str, due: date) -> int:
    [found] = [a for (t, d), a in controls.items() if t.startswith(starts) and d == due]
    return found


def _move(
    app: App, action_id: int, trigger: str, who: Person, when: datetime, **kw: object
) -> actions.Change:
    with app.transaction() as s:
        return actions.move(s, app.registry, action_id, trigger, who, now=when, **kw)  # type: ignore[arg-type]


def first_tertial(app: App, chef: Person) -> Tertial:
    """The plan imported on 20 January 2025 and its controls up to 1 April."""
    with app.transaction() as s:
        result = internal_control.import_control_plan(
            s,
            app.registry,
            EXAMPLE.read_bytes(),
            EXAMPLE.name,
            namnd=BUN,
            year=2025,
            forvaltning=FORVALTNING,
            now=b.at(date(2025, 1, 20), 8),
        )
        control_plan = s.get_one(ControlPlan, result.plan_id)
        assert control_plan.plan_id is not None
        plan = s.get_one(Plan, control_plan.plan_id)
        plan.report_months = "4,8,12"
        plan.board_recipients = RECIPIENTS
        plan.ort = "Piteå"
        plan.signatory_name = chef.name
        plan.signatory_title = "förvaltningschef"
        plan.dnr = "BUN 2025/7"
        s.add(plan)
        plan_id = control_plan.plan_id
    _open(app, date(2025, 1, 20))
    _open(app, date(2025, 3, 20))
    controls = _controls(app)
    erik, maria, johan = _person(app, ERIK), _person(app, MARIA), _person(app, JOHAN)

    # January's attendance control: done and assessed.
    january = _control(controls, ATTENDANCE, date(2025, 1, 31))
    _move(
        app,
        january,
        "genomfor",
        erik,
        b.at(date(2025, 1, 30), 14),
        answers={
            "resultat": "Utan anmärkning",
            "urval": "Fem lektioner per skola, alla sju skolor",
            "metod": "Registreringen i lärplattformen mot schemat",
        },
    )
    _move(
        app,
        january,
        "bedom",
        chef,
        b.at(date(2025, 2, 3), 9),
        text="Godtagbart: all frånvaro registrerades samma dag.",
    )
    # March's purchasing control finds purchases outside the agreements.
    purchases = _control(controls, PURCHASES, MARCH_31)
    change = _move(
        app,
        purchases,
        "genomfor",
        maria,
        b.at(date(2025, 3, 25), 10),
        answers={
            "resultat": "Avvikelse",
            "avvikelse": DEVIATION_TEXT,
            "urval": "Tjugo fakturor ur leverantörsreskontran",
            "metod": "Fakturorna mot avtalskatalogen",
        },
    )
    assert change.opened_id is not None
    _move(
        app,
        purchases,
        "bedom",
        chef,
        b.at(date(2025, 3, 26), 9),
        text="Allvarligt; beställarna behöver utbildning i avtalen.",
    )
    _move(
        app,
        change.opened_id,
        "starta",
        maria,
        b.at(date(2025, 3, 28), 11),
        text="Utbildning för beställarna bokad till den 15 april.",
    )
    # The quarter's delegation control is not made this time, by the chef's decision.
    delegation = _control(controls, "Kontroll att beslut fattade på delegation", MARCH_31)
    safety = _control(controls, "Kontroll att varje anmälan", MARCH_31)
    _move(
        app,
        delegation,
        "utga",
        chef,
        b.at(date(2025, 3, 27), 9),
        text="Nämnden fattade inga beslut på delegation under kvartalet.",
    )
    # Johan reports the kränkande behandling control; the chef has not assessed it yet.
    _move(
        app,
        safety,
        "genomfor",
        johan,
        b.at(date(2025, 3, 31), 15),
        answers={
            "resultat": "Utan anmärkning",
            "urval": "Samtliga 14 anmälningar",
            "metod": "Ärendesystemet mot skolornas incidentrapporter",
        },
    )
    # Erik does not make February's and March's attendance controls.
    return Tertial(
        control_plan_id=result.plan_id,
        plan_id=plan_id,
        chef=chef,
        controls=controls,
        deviation_action_id=change.opened_id,
    )


def draft(app: App, t: Tertial, as_of: date, when: datetime) -> int:
    with app.transaction() as s:
        report = control_report.draft_control_report(
            s, app.registry, t.control_plan_id, as_of=as_of, now=when, tz=app.tz, draft_days=14
        )
        assert report.id is not None
        return report.id


def assess(app: App, report_id: int, who: Person, words: str, when: datetime) -> None:
    with app.transaction() as s:
        control_report.write_assessment(s, report_id, who, words, now=when)


def approve(app: App, report_id: int, who: Person, when: datetime) -> Report:
    with app.transaction() as s:
        return report_service.approve_report(s, app.registry, report_id, who, now=when, tz=app.tz)


def snapshot(app: App, report_id: int) -> ControlSnapshot:
    with app.transaction() as s:
        snap = report_service.document_snapshot(report_service.get_report(s, report_id))
    assert isinstance(snap, ControlSnapshot)
    return snap


APRIL_1 = b.at(date(2025, 4, 1), 10)


def test_the_tertial_follow_up_holds_the_periods_controls_deviations_and_controls_not_done(
    app: App, chef: Person
) -> None:
    t = first_tertial(app, chef)
    report_id = draft(app, t, date(2025, 4, 1), APRIL_1)
    snap = snapshot(app, report_id)
    assert (snap.period_name, snap.period_start, snap.full_year) == (
        "Tertial 1 2025",
        date(2025, 1, 1),
        False,
    )
    assert len(snap.risks) == 10 and snap.assessment == ""
    view = compose_control(snap)
    done = {
        (p.text[:30], r.done_on, r.result)
        for process in view.processes
        for p in process.points
        for r in p.done
    }
    assert done == {
        ("Kontroll att lärare registrera", "2025-01-30", "Utan anmärkning"),
        ("Kontroll att varor och tjänste", "2025-03-25", "Avvikelse"),
        ("Kontroll att varje anmälan om ", "2025-03-31", "Utan anmärkning"),
    }
    [deviation] = view.deviations
    assert deviation.deviation == DEVIATION_TEXT
    assert deviation.state_label == "Pågår"
    assert deviation.note == "Utbildning för beställarna bokad till den 15 april. (2025-03-28)"
    assert [(n.due_on, n.late) for n in view.not_done] == [
        ("2025-02-28", True),
        ("2025-03-31", True),
        ("2025-03-31", False),
    ]
    withdrawn = next(n for n in view.not_done if not n.late)
    assert withdrawn.why.startswith(
        "Görs inte: Nämnden fattade inga beslut på delegation under kvartalet."
    )
    assert view.not_done_scope.startswith("Internkontrollplanen lades in den 20 januari 2025.")
    counts = {c.label: c.count for c in view.summary}
    assert counts["Genomförda kontroller"] == 3
    assert counts["varav med avvikelse"] == 1
    assert counts["Försenade kontroller"] == 2
    assert counts["Kontroller som inte görs"] == 1


def test_a_plan_brought_in_during_the_period_is_followed_up_from_that_day_and_says_so(
    app: App, chef: Person
) -> None:
    """Controls due before the plan came into the product were never opened: the report
    neither counts them as missed nor claims that every control was made."""
    with app.transaction() as s:
        result = internal_control.import_control_plan(
            s,
            app.registry,
            EXAMPLE.read_bytes(),
            EXAMPLE.name,
            namnd=BUN,
            year=2025,
            forvaltning=FORVALTNING,
            now=b.at(date(2025, 3, 24), 8),
        )
    _open(app, date(2025, 3, 24))
    with app.transaction() as s:
        report = control_report.draft_control_report(
            s,
            app.registry,
            result.plan_id,
            as_of=date(2025, 3, 25),
            now=b.at(date(2025, 3, 25), 9),
            tz=app.tz,
            draft_days=14,
        )
        snap = report_service.document_snapshot(report)
    assert isinstance(snap, ControlSnapshot)
    assert snap.followed_from == date(2025, 3, 24)
    assert ControlSnapshot.from_json(snap.to_json()) == snap
    view = compose_control(snap)
    assert view.not_done == ()
    assert view.all_done_line == (
        "Alla kontroller som skulle vara gjorda från den 24 mars 2025 är gjorda."
    )
    rendered = report_service.render(snap)
    texts = {
        "html": " ".join(lxml.html.fromstring(rendered["html"].decode("utf-8")).itertext()),
        "pdf": pdf_text(rendered["pdf"]),
        "docx": docx_text(rendered["docx"]),
    }
    for fmt, body in texts.items():
        assert (
            find_in_order(
                body,
                [
                    "Kontroller som inte är gjorda",
                    "Internkontrollplanen lades in den 24 mars 2025.",
                    "Alla kontroller som skulle vara gjorda från den 24 mars 2025 är gjorda.",
                ],
            )
            == []
        ), fmt
        assert squash("Alla kontroller som skulle vara gjorda är gjorda.") not in squash(body)


def test_a_snapshot_stored_before_the_plans_first_day_was_kept_still_reads(
    app: App, chef: Person
) -> None:
    t = first_tertial(app, chef)
    stored = json.loads(snapshot(app, draft(app, t, date(2025, 4, 1), APRIL_1)).to_json())
    del stored["followed_from"]
    snap = ControlSnapshot.from_json(json.dumps(stored))
    assert snap.followed_from is None
    view = compose_control(snap)
    assert view.not_done_scope == ""
    assert view.all_done_line == "Alla kontroller som skulle vara gjorda är gjorda."


def test_a_follow_up_needs_the_chefs_assessment_before_it_is_approved(
    app: App, chef: Person
) -> None:
    t = first_tertial(app, chef)
    report_id = draft(app, t, date(2025, 4, 1), APRIL_1)
    with pytest.raises(Refused, match="samlade bedömning"):
        approve(app, report_id, chef, APRIL_1 + timedelta(hours=1))
    with pytest.raises(Refused, match="Skriv den samlade bedömningen"):
        assess(app, report_id, chef, "  \n ", APRIL_1)
    erik = _person(app, ERIK)
    with pytest.raises(Refused, match="Bara chefen"):
        assess(app, report_id, erik, "Bra.", APRIL_1)
    assess(app, report_id, chef, "Ett första utkast.", APRIL_1)
    assess(app, report_id, chef, ASSESSMENT, APRIL_1 + timedelta(minutes=5))
    assert snapshot(app, report_id).assessment == ASSESSMENT
    with app.transaction() as s:
        assert report_service.get_report(s, report_id).state == "utkast"


def test_the_approved_follow_up_is_archived_in_three_formats_and_sent_to_the_namnd(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    t = first_tertial(app, chef)
    report_id = draft(app, t, date(2025, 4, 1), APRIL_1)
    assess(app, report_id, chef, ASSESSMENT, APRIL_1 + timedelta(minutes=5))
    # The deviation's åtgärd moves on after the report date: the report keeps its state then.
    maria = _person(app, MARIA)
    _move(
        app,
        t.deviation_action_id,
        "slutfor",
        maria,
        APRIL_1 + timedelta(hours=1),
        text="Utbildningen är genomförd.",
    )
    report = approve(app, report_id, chef, APRIL_1 + timedelta(hours=2))
    assert report.number == 1 and report.state == "godkand"

    with app.transaction() as s:
        files = {
            f.format: f
            for f in s.exec(
                select(report_service.ReportFile).where(
                    report_service.ReportFile.report_id == report_id
                )
            )
        }
        assert report_service.report_title(report_service.get_report(s, report_id)) == (
            "Uppföljning av internkontrollplan 2025, nr 1 (2025-04-01)"
        )
    assert sorted(files) == ["docx", "html", "pdf"]
    for f in files.values():
        assert hashlib.sha256(f.data).hexdigest() == f.sha256
        assert f.filename == (
            f"internkontroll-2025-barn-och-utbildningsnamnden-nr1-2025-04-01.{f.format}"
        )

    expected = [
        "Uppföljning av internkontrollplan 2025",
        "Uppföljning nr 1",
        "Tertial 1 2025: 1 januari 2025 – 1 april 2025",
        "Genomförda kontroller",
        "Chefens samlade bedömning",
        "Den interna kontrollen fungerar i huvudsak.",
        "Inköpen utanför avtal åtgärdas med utbildning av beställarna.",
        "Riskmatris",
        "Betyg sätts inte enligt rutin",
        "Genomförda kontroller per kontrollmoment",
        "Kontroll att varor och tjänster köps av avtalade leverantörer",
        "2025-03-25",
        "Avvikelse",
        "Tjugo fakturor ur leverantörsreskontran",
        DEVIATION_TEXT,
        "Allvarligt; beställarna behöver utbildning i avtalen.",
        "Kontroll att lärare registrerar frånvaro i lärplattformen samma dag",
        "2025-01-30",
        "Utan anmärkning",
        "Fem lektioner per skola, alla sju skolor",
        "Registreringen i lärplattformen mot schemat",
        "Godtagbart: all frånvaro registrerades samma dag.",
        "Avvikelser och åtgärder",
        DEVIATION_TEXT,
        "Maria Öberg",
        "Pågår",
        "Utbildning för beställarna bokad till den 15 april.",
        "Kontroller som inte är gjorda",
        "Internkontrollplanen lades in den 20 januari 2025. Kontroller som skulle ha gjorts "
        "före dess har inte följts upp här",
        "Försenad: skulle ha varit gjord 2025-02-28",
        "Försenad: skulle ha varit gjord 2025-03-31",
        "Görs inte: Nämnden fattade inga beslut på delegation under kvartalet.",
        "Piteå 2025-04-01",
        "Godkänd 2025-04-01 av Malin Westling",
    ]
    html = files["html"].data.decode("utf-8")
    texts = {
        "html": " ".join(lxml.html.fromstring(html).itertext()),
        "pdf": pdf_text(files["pdf"].data),
        "docx": docx_text(files["docx"].data),
    }
    for fmt, body in texts.items():
        if fmt == "docx":
            # docx_text gives the paragraphs first and the tables after them.
            assert [e for e in expected if squash(e) not in squash(body)] == []
        else:
            assert find_in_order(body, expected) == [], fmt
        # The åtgärd was finished after the report date: the archived report says Pågår.
        assert squash("Utbildningen är genomförd.") not in squash(body), fmt
        assert squash("UTKAST") not in squash(body), fmt
    # The matrix is in each: inline SVG with its text alternative, an image in the PDF and
    # the DOCX, and the same facts as a table.
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    assert "Riskmatris: riskvärde (sannolikhet × konsekvens)" in texts["pdf"].replace("\n", " ")
    assert pdf_figure_alts(files["pdf"].data) == [
        "Riskmatris med internkontrollplanens 10 risker efter sannolikhet och konsekvens; "
        "samma uppgifter står i tabellerna under."
    ]
    assert b"word/media/image1.png" in files["docx"].data
    assert docx_language(files["docx"].data) == "sv-SE"  # what Word spell-checks it as

    with app.transaction() as s:
        assert report_service.verify_report(s, report_id) == dict.fromkeys(
            ("html", "pdf", "docx"), report_service.Verification(intact=True, reproduced=True)
        )
        queued = report_service.send_report(
            s, app.registry, report_id, now=APRIL_1 + timedelta(hours=3), settings=app.settings
        )
        assert sorted(m.to_addr for m in queued) == [
            "namnd@pitea.example",
            "sekreterare@pitea.example",
        ]
    send_outbox(b.with_smtp(app, smtp_server.port), now=APRIL_1 + timedelta(hours=3, minutes=1))
    messages = smtp_server.messages()
    assert sorted(str(m["To"]) for m in messages) == [
        "namnd@pitea.example",
        "sekreterare@pitea.example",
    ]
    message = messages[0]
    assert str(message["Reply-To"]) == chef.email
    assert str(message["Subject"]) == (
        f"Uppföljning av internkontrollplan 2025, nr 1: {BUN} (Dnr BUN 2025/7)"
    )
    body = message.get_body(("plain",))
    assert body is not None
    assert "perioden 2025-01-01 – 2025-04-01 (Tertial 1 2025)" in body.get_content()
    attached = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert sorted(attached) == [files["docx"].filename, files["pdf"].filename]
    for fmt in ("pdf", "docx"):
        assert hashlib.sha256(attached[files[fmt].filename]).hexdigest() == files[fmt].sha256


def test_an_emoji_in_the_assessment_leaves_a_box_in_the_pdf_and_itself_elsewhere(
    app: App, chef: Person
) -> None:
    t = first_tertial(app, chef)
    report_id = draft(app, t, date(2025, 4, 1), APRIL_1)
    assess(app, report_id, chef, "Kontrollen fungerar 😀 väl ✓ 漢字.", APRIL_1)
    with app.transaction() as s:
        docs = {
            fmt: report_service.report_document(s, report_id, fmt).data
            for fmt in ("pdf", "html", "docx")
        }
    assert squash("Kontrollen fungerar □ väl ✓ □□.") in squash(pdf_text(docs["pdf"]))
    assert "Kontrollen fungerar 😀 väl ✓ 漢字." in docs["html"].decode()
    assert "Kontrollen fungerar 😀 väl ✓ 漢字." in docx_text(docs["docx"])


def test_an_issued_follow_up_cannot_be_changed(app: App, chef: Person) -> None:
    t = first_tertial(app, chef)
    report_id = draft(app, t, date(2025, 4, 1), APRIL_1)
    assess(app, report_id, chef, ASSESSMENT, APRIL_1)
    approve(app, report_id, chef, APRIL_1 + timedelta(hours=1))
    with pytest.raises(Refused, match="kan inte ändras längre"):
        assess(app, report_id, chef, "En annan bedömning.", APRIL_1 + timedelta(hours=2))
    with app.transaction() as s:
        stored = report_service.get_report(s, report_id).snapshot_json
    changed = json.loads(stored)
    changed["assessment"] = "En annan bedömning."
    for statement, params in (
        (
            "UPDATE report SET snapshot_json = :j WHERE id = :i",
            {"i": report_id, "j": json.dumps(changed)},
        ),
        ("UPDATE report_file SET data = :d WHERE report_id = :i", {"i": report_id, "d": b"x"}),
        ("DELETE FROM report WHERE id = :i", {"i": report_id}),
    ):
        with pytest.raises(DBAPIError, match="allmän handling"), app.engine.begin() as conn:
            conn.execute(text(statement), params)
    assert snapshot(app, report_id).assessment == ASSESSMENT


def test_an_issued_follow_up_offers_no_archive_package_and_a_request_for_one_says_why(
    app: App, chef: Person, db_url: str
) -> None:
    """The archive package (E-ARK) is made for återrapporter about åtgärdsplaner: the follow-up's
    page does not offer one, and asking for it anyway says what to archive instead."""
    t = first_tertial(app, chef)
    report_id = draft(app, t, date(2025, 4, 1), APRIL_1)
    assess(app, report_id, chef, ASSESSMENT, APRIL_1)
    approve(app, report_id, chef, APRIL_1 + timedelta(hours=1))
    why = "Arkivpaket (E-ARK) görs för återrapporter om åtgärdsplaner, inte för uppföljningar"
    when = APRIL_1 + timedelta(days=1)
    with TestClient(create_app(app, clock=MovableClock(when))) as client:
        log_in(client, app, chef, when)
        page = client.get(f"/aterrapporter/{report_id}")
        assert page.status_code == 200
        assert "arkivpaket.tar" not in page.text
        asked = client.get(f"/aterrapporter/{report_id}/arkivpaket.tar")
    assert asked.status_code == 422
    assert why in " ".join(asked.text.split())
    result = CliRunner().invoke(
        cli, ["--database", db_url, "report", "archive-package", str(report_id), "--out", "x"]
    )
    # `tracker` prints a Refused as "Fel: …" and exits 1 (tracker.cli.base.run).
    assert isinstance(result.exception, Refused)
    assert why in result.exception.message


def test_the_next_follow_up_covers_the_time_since_the_last_and_helar_the_whole_year(
    app: App, chef: Person
) -> None:
    t = first_tertial(app, chef)
    first = draft(app, t, date(2025, 4, 1), APRIL_1)
    assess(app, first, chef, ASSESSMENT, APRIL_1)
    approve(app, first, chef, APRIL_1 + timedelta(hours=1))
    erik = _person(app, ERIK)
    _open(app, date(2025, 4, 20))
    april = _control(_controls(app), ATTENDANCE, date(2025, 4, 30))
    _move(
        app,
        april,
        "genomfor",
        erik,
        b.at(date(2025, 4, 29), 13),
        answers={"resultat": "Utan anmärkning", "urval": "Tre lektioner", "metod": "Stickprov"},
    )
    august = b.at(date(2025, 8, 1), 10)
    second = snapshot(app, draft(app, t, date(2025, 8, 1), august))
    assert (second.period_name, second.period_start) == ("Tertial 2 2025", date(2025, 4, 1))
    assert second.previous is not None and second.previous.number == 1
    dates = {r.done_on for p in compose_control(second).processes for x in p.points for r in x.done}
    # January's and March's controls were in the first report; April's is this period's.
    assert dates == {"2025-04-29"}
    # The deviation's åtgärd is still open, so it is followed up again.
    assert [d.action_id for d in second.deviations] == [t.deviation_action_id]
    december = b.at(date(2025, 11, 20), 10)
    year = snapshot(app, draft(app, t, date(2025, 11, 20), december))
    assert (year.period_name, year.period_start, year.full_year) == (
        "Helår 2025",
        date(2025, 1, 1),
        True,
    )
    dates = {r.done_on for p in compose_control(year).processes for x in p.points for r in x.done}
    assert dates == {"2025-01-30", "2025-03-25", "2025-03-31", "2025-04-29"}


def test_the_year_end_follow_up_drafted_in_january_covers_the_plans_year_and_says_the_lage(
    app: App, chef: Person
) -> None:
    """The follow-up of the whole year is drafted after new year: its period is the plan's
    year, not into the next, and the day of its läge is said beside it."""
    t = first_tertial(app, chef)
    january = b.at(date(2026, 1, 15), 10)
    year = snapshot(app, draft(app, t, date(2026, 1, 15), january))
    assert (year.period_name, year.full_year) == ("Helår 2025", True)
    line = compose_control(year).period_line
    assert line == "Helår 2025: 1 januari 2025 – 31 december 2025, läget per 15 januari 2026"
    # A follow-up stored before the period's end was kept reads as it was issued.
    stored = json.loads(year.to_json())
    del stored["period_end"]
    kept = compose_control(ControlSnapshot.from_json(json.dumps(stored)))
    assert kept.period_line == "Helår 2025: 1 januari 2025 – 15 januari 2026"
    # Within the year, the period ends on the day of the läge, as before.
    december = snapshot(app, draft(app, t, date(2025, 12, 31), b.at(date(2025, 12, 31), 10)))
    assert "period_end" not in json.loads(december.to_json())
    assert compose_control(december).period_line == (
        "Helår 2025: 1 januari 2025 – 31 december 2025"
    )


def test_the_report_sweep_drafts_the_follow_up_for_the_plans_report_month(
    app: App, chef: Person
) -> None:
    t = first_tertial(app, chef)
    made = report_sweep(app, b.at(date(2025, 3, 20), 7))
    assert made.problems == [] and len(made.drafted) == 1
    snap = snapshot(app, made.drafted[0])
    assert snap.period_name == "Tertial 1 2025" and snap.plan.id == t.plan_id
    with app.transaction() as s:
        [mail] = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "aterrapport-utkast"))
        assert mail.to_addr == chef.email
        assert mail.subject == f"Utkast att granska: Uppföljning av internkontrollplan 2025 ({BUN})"
        assert "Skriv din samlade bedömning i utkastet" in mail.body_text


def test_the_command_line_drafts_and_assesses_a_follow_up(
    app: App, chef: Person, db_url: str, tmp_path: Path
) -> None:
    t = first_tertial(app, chef)
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "--database",
            db_url,
            "internkontroll",
            "report",
            str(t.control_plan_id),
            "--per",
            "2025-04-01",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Utkast 1 till uppföljning av internkontrollplan" in result.output
    words = tmp_path / "bedomning.txt"
    words.write_text(ASSESSMENT, encoding="utf-8")
    result = runner.invoke(
        cli,
        [
            "--database",
            db_url,
            "internkontroll",
            "assess",
            "1",
            "--as",
            chef.email,
            "--file",
            str(words),
        ],
    )
    assert result.exit_code == 0, result.output
    assert snapshot(app, 1).assessment == ASSESSMENT
    result = runner.invoke(
        cli, ["--database", db_url, "internkontroll", "report", "99", "--per", "2025-04-01"]
    )
    assert result.exit_code == 1
    assert "Det finns ingen internkontrollplan med nummer 99." in result.output


# --- Deviations carried from earlier years' plans -------------------------------------------

DECEMBER_1 = b.at(date(2025, 12, 1), 9)
CARRIED = "Avvikelser från tidigare år"
# The issued follow-up of test_the_approved_follow_up_is_archived_in_three_formats_and_sent_to
# _the_namnd as archived before the follow-up reported earlier years' deviations, with the
# sha256 of its three documents as archived then: they must render to the same bytes.
ARCHIVED = Path(__file__).resolve().parent / "data" / "internkontroll-2025-nr1.json"
ARCHIVED_SHA256 = {
    "html": "8f9600c59fb8085b62420004abfa193d9b5e0288e6ece094dc5166f9c4e4f2a1",
    "pdf": "3af6b006454d2f678ad25ec95f3079a915233e487abedc11be0d67b8d154973d",
    "docx": "0a10e66cfe84b03bd2a0f5766ad881ecb177c19422fc68e4755b9d6b10e6b520",
}


def copy_plan(app: App, control_plan_id: int, year: int, when: datetime) -> int:
    with app.transaction() as s:
        return internal_control.copy_to_year(s, control_plan_id, year=year, now=when).plan_id


def build(app: App, control_plan_id: int, as_of: date, when: datetime) -> ControlSnapshot:
    with app.transaction() as s:
        control_plan = s.get_one(ControlPlan, control_plan_id)
        return control_report.build_control_snapshot(
            s, app.registry, control_plan, as_of=as_of, now=when, tz=app.tz, draft_days=14
        )


def docx_body(data: bytes) -> str:
    """The Word document's text in reading order, tables where they stand."""
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = lxml.etree.fromstring(z.read("word/document.xml")).find(f"{w}body")
    return "\n".join(t.text or "" for t in body.iter(f"{w}t"))


def texts_of(snap: ControlSnapshot) -> dict[str, str]:
    rendered = report_service.render(snap)
    return {
        "html": " ".join(lxml.html.fromstring(rendered["html"].decode("utf-8")).itertext()),
        "pdf": pdf_text(rendered["pdf"]),
        "docx": docx_body(rendered["docx"]),
    }


def test_next_years_follow_up_reports_last_years_deviations_still_open_when_its_year_began(
    app: App, chef: Person
) -> None:
    """The 2025 plan's deviation about purchases is still being corrected at new year; one
    about attendance was corrected in 2025. The 2026 follow-up reports the first, with its
    läge and processläge, and tells the nämnd when it was done during 2026."""
    t = first_tertial(app, chef)
    erik, maria = _person(app, ERIK), _person(app, MARIA)
    february = _control(t.controls, ATTENDANCE, date(2025, 2, 28))
    attendance = _move(
        app,
        february,
        "genomfor",
        erik,
        b.at(date(2025, 5, 5), 10),
        answers={
            "resultat": "Avvikelse",
            "avvikelse": "Två lektioner saknade frånvaroregistrering.",
            "urval": "Fem lektioner per skola",
            "metod": "Stickprov",
        },
    )
    assert attendance.opened_id is not None
    _move(app, attendance.opened_id, "starta", erik, b.at(date(2025, 5, 6), 9))
    _move(app, attendance.opened_id, "slutfor", erik, b.at(date(2025, 6, 2), 9), text="Rättat.")
    next_plan = copy_plan(app, t.control_plan_id, 2026, DECEMBER_1)
    with app.transaction() as s:
        actions.note_progress(
            s,
            t.deviation_action_id,
            maria,
            "Hälften av beställarna är utbildade.",
            now=b.at(date(2026, 2, 10), 13),
        )

    spring = build(app, next_plan, date(2026, 4, 1), b.at(date(2026, 4, 1), 10))
    [carried] = spring.carried
    assert (carried.action_id, carried.plan_year, carried.deviation) == (
        t.deviation_action_id,
        2025,
        DEVIATION_TEXT,
    )
    assert (carried.state, carried.closed_on, carried.note_on) == (
        "pagar",
        None,
        date(2026, 2, 10),
    )
    assert spring.deviations == ()
    assert ControlSnapshot.from_json(spring.to_json()) == spring
    [row] = compose_control(spring).carried
    assert row.plan == "Internkontrollplan 2025"
    # Still being corrected, after the day it was to be done by.
    assert (row.state_label, row.closed, row.late) == ("Pågår, försenad", "Nej", True)
    assert row.note == "Hälften av beställarna är utbildade. (2026-02-10)"

    _move(
        app,
        t.deviation_action_id,
        "slutfor",
        maria,
        b.at(date(2026, 5, 11), 14),
        text="Alla beställare är utbildade.",
    )
    august = build(app, next_plan, date(2026, 8, 31), b.at(date(2026, 8, 31), 10))
    view = compose_control(august)
    [row] = view.carried
    assert (row.state_label, row.closed) == ("Klar", "Ja, 2026-05-11")
    assert view.carried_line == (
        "1 åtgärd efter avvikelser i tidigare års internkontrollplaner var inte klar när 2026 "
        "började; den har blivit klar sedan dess."
    )
    for fmt, body in texts_of(august).items():
        assert (
            find_in_order(
                body,
                [
                    "Avvikelser och åtgärder",
                    CARRIED,
                    view.carried_line,
                    "Internkontrollplan 2025",
                    "Kontroll att varor och tjänster",
                    DEVIATION_TEXT,
                    "Maria Öberg",
                    "Klar",
                    "Ja, 2026-05-11",
                    "Alla beställare är utbildade. (2026-05-11)",
                    "Kontroller som inte är gjorda",
                ],
            )
            == []
        ), fmt
        assert squash("Två lektioner saknade") not in squash(body), fmt


def test_a_deviation_still_open_is_followed_up_in_every_later_years_plan(
    app: App, chef: Person
) -> None:
    t = first_tertial(app, chef)
    plan_2026 = copy_plan(app, t.control_plan_id, 2026, DECEMBER_1)
    plan_2027 = copy_plan(app, plan_2026, 2027, b.at(date(2026, 12, 1), 9))
    snap = build(app, plan_2027, date(2027, 4, 1), b.at(date(2027, 4, 1), 10))
    assert [(c.action_id, c.plan_year) for c in snap.carried] == [(t.deviation_action_id, 2025)]
    # The plan being followed up is not its own earlier year.
    assert build(app, t.control_plan_id, date(2025, 12, 31), DECEMBER_1).carried == ()


def test_with_nothing_carried_the_follow_up_has_no_such_section_and_is_stored_as_before(
    app: App, chef: Person
) -> None:
    t = first_tertial(app, chef)
    _move(
        app,
        t.deviation_action_id,
        "slutfor",
        _person(app, MARIA),
        b.at(date(2025, 12, 30), 9),
        text="Utbildningen är genomförd.",
    )
    next_plan = copy_plan(app, t.control_plan_id, 2026, DECEMBER_1)
    snap = build(app, next_plan, date(2026, 4, 1), b.at(date(2026, 4, 1), 10))
    assert snap.carried == ()
    assert "carried" not in json.loads(snap.to_json())
    for fmt, body in texts_of(snap).items():
        assert squash(CARRIED) not in squash(body), fmt


def test_a_follow_up_archived_before_earlier_years_deviations_were_reported_renders_the_same() -> (
    None
):
    """tracker report verify renders an issued report again from its snapshot and compares
    the bytes with the archive: a snapshot stored without `carried` gives what it gave."""
    stored = ARCHIVED.read_text(encoding="utf-8")
    assert "carried" not in json.loads(stored)
    snap = ControlSnapshot.from_json(stored)
    assert snap.carried == () and snap.issue is not None
    rendered = report_service.render(snap)
    assert {k: hashlib.sha256(v).hexdigest() for k, v in rendered.items()} == ARCHIVED_SHA256
