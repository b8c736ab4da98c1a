"""Återrapporter against a real database (SQLite and PostgreSQL): built from the event history
as of a date, issued as numbered immutable records, sent through the outbox, and drafted on
the plan's cadence by the scheduled sweep."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from tests.support.documents import docx_text, html_rows, pdf_text
from tracker.app import App
from tracker.errors import Refused
from tracker.models import (
    OutboxAttachment,
    OutboxMessage,
    Person,
    Report,
    ReportFile,
    Role,
)
from tracker.reports.jobs import report_sweep
from tracker.services import actions, importing, people, plan_settings, plans, reports

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pitea-2018.csv"


@dataclass
class Fixture:
    plan_id: int
    owner: Person
    started: int  # pågår since the start
    waiting: int  # not started
    late: int  # pågår, due 2018-01-31


def make_plan(app: App, now: datetime, chef: Person, **fields: object) -> Fixture:
    values: dict[str, object] = {
        "forvaltning": chef.forvaltning,
        "ort": "Piteå",
        "signatory_name": chef.name,
        "signatory_title": "förvaltningschef",
        "report_months": "6,12",
        "board_recipients": "namnd@pitea.example, sekreterare@pitea.example",
        "chef_id": chef.id,
        "dnr": "BUN 2017/42",
        **fields,
    }
    with app.transaction() as s:
        plan = plans.create_plan(s, now=now, title=str(values.pop("title", "Planen")), **values)
        owner = people.ensure_person(s, "anna.berg@pitea.example", now=now, name="Anna Berg")
        area = plans.ensure_area(s, plan, "Ekonomiskt stöd")
        ids = [
            plans.add_action(s, app.registry, area, now=now, owner=owner, text=t, **kw).id
            for t, kw in (
                ("Ta fram ett upplägg", {"due_on": date(2018, 3, 31), "tidsplan": "mars 2018"}),
                ("Se över gränsytorna", {"due_on": date(2018, 6, 30)}),
                ("Utbilda i systemet", {"due_on": date(2018, 1, 31)}),
            )
        ]
    started, waiting, late = (i for i in ids if i is not None)
    with app.transaction() as s:
        actions.move(s, app.registry, started, "starta", owner, now=now, text="Igång i januari.")
        actions.move(s, app.registry, late, "starta", owner, now=now, text="Påbörjat.")
    assert plan.id is not None
    return Fixture(plan.id, owner, started, waiting, late)


def draft(app: App, plan_id: int, as_of: date, now: datetime) -> int:
    with app.transaction() as s:
        report = reports.draft_report(
            s, app.registry, plan_id, as_of=as_of, now=now, tz=app.tz, draft_days=14
        )
        assert report.id is not None
        return report.id


def approve(app: App, report_id: int, who: Person, now: datetime) -> Report:
    with app.transaction() as s:
        return reports.approve_report(s, app.registry, report_id, who, now=now, tz=app.tz)


def snapshot(app: App, plan_id: int, as_of: date, now: datetime) -> reports.Snapshot:
    with app.transaction() as s:
        return reports.build_snapshot(
            s, app.registry, plan_id, as_of=as_of, now=now, tz=app.tz, draft_days=14
        )


def by_text(snap: reports.Snapshot) -> dict[str, tuple[str, str]]:
    return {a.text: (a.state, a.note) for a in snap.actions()}


def test_a_report_shows_each_action_as_it_was_on_the_report_date(
    app: App, now: datetime, chef: Person
) -> None:
    f = make_plan(app, now, chef)
    feb = datetime(2018, 2, 15, 12, 0, tzinfo=UTC)
    with app.transaction() as s:
        actions.move(
            s, app.registry, f.started, "slutfor", f.owner, now=feb, text="Upplägget klart."
        )
        actions.note_progress(s, f.late, f.owner, "Försenat, nytt datum i april.", now=feb)
        area = plans.ensure_area(s, plans.get_plan(s, f.plan_id), "Ekonomiskt stöd")
        plans.add_action(s, app.registry, area, now=feb, text="Kom till i februari")
    january = by_text(snapshot(app, f.plan_id, date(2018, 1, 31), feb + timedelta(days=30)))
    assert january == {
        "Ta fram ett upplägg": ("pagar", "Igång i januari."),
        "Se över gränsytorna": ("ej_paborjat", ""),
        "Utbilda i systemet": ("pagar", "Påbörjat."),
    }
    february = by_text(snapshot(app, f.plan_id, date(2018, 2, 28), feb + timedelta(days=30)))
    assert february["Ta fram ett upplägg"] == ("klar", "Upplägget klart.")
    assert february["Utbilda i systemet"] == ("pagar", "Försenat, nytt datum i april.")
    assert february["Kom till i februari"] == ("ej_paborjat", "")
    # The day boundary is Stockholm's: 2018-02-15 12:00 UTC is in the report of the 15th.
    assert by_text(snapshot(app, f.plan_id, date(2018, 2, 15), feb + timedelta(days=1)))[
        "Ta fram ett upplägg"
    ] == ("klar", "Upplägget klart.")
    assert by_text(snapshot(app, f.plan_id, date(2018, 2, 14), feb + timedelta(days=1)))[
        "Ta fram ett upplägg"
    ] == ("pagar", "Igång i januari.")


def test_a_report_shows_texts_dates_and_areas_as_they_were_on_the_report_date(
    app: App, now: datetime, chef: Person
) -> None:
    f = make_plan(app, now, chef)
    feb, mar = (datetime(2018, m, 15, 12, 0, tzinfo=UTC) for m in (2, 3))
    with app.transaction() as s:
        other = plans.ensure_area(s, plans.get_plan(s, f.plan_id), "Ledning")
        assert other.id is not None
        actions.edit(
            s, f.started, now=feb, text="Ta fram ett nytt upplägg", due_on=date(2018, 9, 30)
        )
        actions.edit(s, f.started, now=mar, tidsplan="september 2018", area_id=other.id)
        actions.edit(s, f.waiting, now=mar, due_on=None)

    def seen(as_of: date) -> dict[int, tuple[str, str, date | None, str]]:
        snap = snapshot(app, f.plan_id, as_of, mar + timedelta(days=30))
        return {
            a.id: (area.title, a.text, a.due_on, a.tidsplan)
            for area in snap.areas
            for a in area.actions
        }

    january, february, march = (seen(date(2018, m, 28)) for m in (1, 2, 3))
    assert january[f.started] == (
        "Ekonomiskt stöd",
        "Ta fram ett upplägg",
        date(2018, 3, 31),
        "mars 2018",
    )
    assert january[f.waiting][2] == date(2018, 6, 30)
    assert february[f.started] == (
        "Ekonomiskt stöd",
        "Ta fram ett nytt upplägg",
        date(2018, 9, 30),
        "mars 2018",
    )
    assert march[f.started] == (
        "Ledning",
        "Ta fram ett nytt upplägg",
        date(2018, 9, 30),
        "september 2018",
    )
    assert march[f.waiting][2] is None and february[f.waiting][2] == date(2018, 6, 30)


def test_approving_issues_report_number_one_with_archived_files_that_render_again_identically(
    app: App, now: datetime, chef: Person
) -> None:
    f = make_plan(app, now, chef)
    report_id = draft(app, f.plan_id, date(2018, 1, 10), now + timedelta(hours=1))
    report = approve(app, report_id, chef, now + timedelta(days=2))
    assert (report.number, report.state) == (1, "godkand")
    assert report.approved_by == "Malin Westling <malin.westling@pitea.example>"
    with app.transaction() as s:
        files = {f.format: f for f in s.exec(select(ReportFile))}
        assert set(files) == {"html", "pdf", "docx"}
        for stored in files.values():
            assert stored.sha256 == hashlib.sha256(stored.data).hexdigest()
        assert files["pdf"].filename == "aterrapport-planen-nr1-2018-01-10.pdf"
        assert reports.verify_report(s, report_id) == dict.fromkeys(
            ("html", "pdf", "docx"), reports.Verification(intact=True, reproduced=True)
        )
        again = reports.render(reports.snapshot_of(reports.get_report(s, report_id)))
        downloaded = reports.report_document(s, report_id, "docx")
    for fmt, data in again.items():
        assert hashlib.sha256(data).hexdigest() == files[fmt].sha256, fmt
    assert downloaded.data == files["docx"].data
    html = files["html"].data.decode()
    assert "Återrapport nr 1" in html and "UTKAST" not in html
    assert "Godkänd 2018-01-12 av Malin Westling." in html
    # Each owner's words as written, with their date; the tracker's facts apart from them.
    assert [(r.note, r.note_line, r.facts) for r in html_rows(html)] == [
        (
            "Igång i januari.",
            "Skrivet 2018-01-10.",
            "Registrerat läge: Pågår. Mot tidsplanen: i tid.",
        ),
        ("", "Inget processläge ännu.", "Registrerat läge: Ej påbörjat. Mot tidsplanen: i tid."),
        ("Påbörjat.", "Skrivet 2018-01-10.", "Registrerat läge: Pågår. Mot tidsplanen: i tid."),
    ]
    assert "Nästa återrapport: juni 2018." in html


def test_the_next_report_is_number_two_lists_the_changes_and_charts_the_first(
    app: App, now: datetime, chef: Person
) -> None:
    a = make_plan(app, now, chef, title="Plan A")
    b = make_plan(app, now, chef, title="Plan B")
    approve(app, draft(app, a.plan_id, date(2018, 1, 10), now), chef, now)
    assert approve(app, draft(app, b.plan_id, date(2018, 1, 10), now), chef, now).number == 1
    march = datetime(2018, 3, 1, 9, 0, tzinfo=UTC)
    with app.transaction() as s:
        actions.move(s, app.registry, a.waiting, "starta", a.owner, now=march, text="Startat.")
        actions.move(s, app.registry, a.late, "slutfor", a.owner, now=march, text="Klart nu.")
    second = draft(app, a.plan_id, date(2018, 6, 1), datetime(2018, 6, 1, 8, 0, tzinfo=UTC))
    with app.transaction() as s:
        snap = reports.snapshot_of(reports.get_report(s, second))
    assert [(e.number, e.as_of, e.by_state) for e in snap.earlier] == [
        (1, date(2018, 1, 10), {"ej_paborjat": 1, "pagar": 2})
    ]
    assert sorted((c.action_id, c.from_state, c.to_state, c.new_note) for c in snap.changes) == [
        (a.waiting, "ej_paborjat", "pagar", True),
        (a.late, "pagar", "klar", True),
    ]
    issued = approve(app, second, chef, datetime(2018, 6, 2, 8, 0, tzinfo=UTC))
    assert issued.number == 2
    with app.transaction() as s:
        html = reports.report_document(s, second, "html").data.decode()
    assert "Sedan återrapport nr 1 (2018-01-10):" in html
    assert "Ej påbörjat → Pågår, nytt processläge" in html
    assert "Pågår → Klar, nytt processläge" in html
    assert "Nr 1 (jan 2018)" in html and "Nr 2 (jun 2018)" in html
    # Report 2 is for June, so the next one is December.
    assert "Nästa återrapport: december 2018." in html


def test_an_issued_report_cannot_be_changed_by_the_services_or_by_sql(
    app: App, now: datetime, chef: Person
) -> None:
    f = make_plan(app, now, chef)
    report_id = draft(app, f.plan_id, date(2018, 1, 10), now)
    with app.engine.begin() as conn:  # a draft is still a working copy
        conn.execute(text("UPDATE report SET created_by = 'x' WHERE id = :i"), {"i": report_id})
    approve(app, report_id, chef, now)
    with pytest.raises(Refused, match="går inte"), app.transaction() as s:
        reports.approve_report(s, app.registry, report_id, chef, now=now, tz=app.tz)
    attempts = [
        ("UPDATE report SET snapshot_json = '{}' WHERE id = :i", {"i": report_id}),
        ("UPDATE report SET number = 7 WHERE id = :i", {"i": report_id}),
        ("UPDATE report SET state = 'utkast' WHERE id = :i", {"i": report_id}),
        ("DELETE FROM report WHERE id = :i", {"i": report_id}),
        ("UPDATE report_file SET data = :d WHERE report_id = :i", {"i": report_id, "d": b"x"}),
        ("DELETE FROM report_file WHERE report_id = :i", {"i": report_id}),
        (
            "INSERT INTO report_file (report_id, format, filename, content_type, data, sha256) "
            "VALUES (:i, 'txt', 'x.txt', 'text/plain', :d, '')",
            {"i": report_id, "d": b"x"},
        ),
    ]
    for statement, params in attempts:
        with pytest.raises(DBAPIError, match="allmän handling"), app.engine.begin() as conn:
            conn.execute(text(statement), params)
    with app.transaction() as s:
        assert reports.verify_report(s, report_id) == dict.fromkeys(
            ("html", "pdf", "docx"), reports.Verification(intact=True, reproduced=True)
        )
        assert reports.get_report(s, report_id).number == 1
        # Moving it on to "skickad" is the one change allowed.
        reports.send_report(s, app.registry, report_id, now=now, settings=app.settings)
        assert reports.get_report(s, report_id).state == "skickad"


def test_a_draft_made_before_another_report_was_issued_cannot_be_approved(
    app: App, now: datetime, chef: Person
) -> None:
    f = make_plan(app, now, chef)
    older = draft(app, f.plan_id, date(2018, 1, 10), now)
    newer = draft(app, f.plan_id, date(2018, 1, 10), now + timedelta(hours=1))
    approve(app, newer, chef, now + timedelta(hours=2))
    with pytest.raises(Refused, match="nr 1 har utfärdats sedan utkastet"), app.transaction() as s:
        reports.approve_report(s, app.registry, older, chef, now=now, tz=app.tz)
    with pytest.raises(Refused, match="redan utfärdad"), app.transaction() as s:
        reports.draft_report(
            s, app.registry, f.plan_id, as_of=date(2018, 1, 9), now=now, tz=app.tz, draft_days=14
        )


def test_only_a_chef_of_the_plan_may_approve(app: App, now: datetime, chef: Person) -> None:
    f = make_plan(app, now, chef)
    report_id = draft(app, f.plan_id, date(2018, 1, 10), now)
    with app.transaction() as s:
        other = people.ensure_person(s, "chef@kultur.example", now=now, name="Kulturchef")
        other.role = Role.chef.value
        other.forvaltning = "Kulturförvaltningen"
        s.add(other)
    for who in (f.owner, other):
        with pytest.raises(Refused, match="Bara chefen"), app.transaction() as s:
            reports.approve_report(s, app.registry, report_id, who, now=now, tz=app.tz)
    with app.transaction() as s:
        assert reports.get_report(s, report_id).state == "utkast"


def test_sending_queues_the_report_with_pdf_and_docx_to_each_board_recipient_once(
    app: App, now: datetime, chef: Person
) -> None:
    f = make_plan(app, now, chef)
    report_id = draft(app, f.plan_id, date(2018, 1, 10), now)
    approve(app, report_id, chef, now)
    with app.transaction() as s:
        queued = reports.send_report(s, app.registry, report_id, now=now, settings=app.settings)
        assert sorted(m.to_addr for m in queued) == [
            "namnd@pitea.example",
            "sekreterare@pitea.example",
        ]
    with pytest.raises(Refused, match="Skicka till nämnden"), app.transaction() as s:
        reports.send_report(s, app.registry, report_id, now=now, settings=app.settings)
    with app.transaction() as s:
        messages = list(s.exec(select(OutboxMessage)))
        assert len(messages) == 2
        assert {m.forvaltning for m in messages} == {chef.forvaltning}  # the plan's
        # The nämnd's answer goes to the plan's chef, as an owner's does.
        assert {m.reply_to for m in messages} == {chef.email}
        assert messages[0].subject == "Återrapport nr 1: Planen (Dnr BUN 2017/42)"
        assert "läget 2018-01-10" in messages[0].body_text
        stored = {r.filename: r.sha256 for r in s.exec(select(ReportFile))}
        attached = list(
            s.exec(select(OutboxAttachment).where(OutboxAttachment.message_id == messages[0].id))
        )
        assert sorted(a.filename for a in attached) == [
            "aterrapport-planen-nr1-2018-01-10.docx",
            "aterrapport-planen-nr1-2018-01-10.pdf",
        ]
        for a in attached:
            assert hashlib.sha256(a.data).hexdigest() == stored[a.filename]
        report = reports.get_report(s, report_id)
        assert report.state == "skickad" and report.sent_at == now


def test_a_plan_without_board_recipients_keeps_its_report_approved(
    app: App, now: datetime, chef: Person
) -> None:
    f = make_plan(app, now, chef, board_recipients="")
    report_id = draft(app, f.plan_id, date(2018, 1, 10), now)
    approve(app, report_id, chef, now)
    with pytest.raises(Refused, match="inga mottagare"), app.transaction() as s:
        reports.send_report(s, app.registry, report_id, now=now, settings=app.settings)
    with app.transaction() as s:
        assert reports.get_report(s, report_id).state == "godkand"
        assert s.exec(select(OutboxMessage)).first() is None


def test_the_sweep_drafts_before_the_report_month_mails_the_chef_and_sends_once_approved(
    app: App, now: datetime, chef: Person
) -> None:
    f = make_plan(app, now, chef, report_months="6")
    assert app.settings.report_draft_days_before == 14
    day_before = datetime(2018, 5, 17, 5, 0, tzinfo=UTC)
    assert report_sweep(app, day_before).drafted == []
    first_day = datetime(2018, 5, 18, 5, 0, tzinfo=UTC)
    result = report_sweep(app, first_day)
    assert len(result.drafted) == 1 and result.problems == []
    report_id = result.drafted[0]
    assert report_sweep(app, first_day + timedelta(hours=1)).drafted == []
    assert report_sweep(app, datetime(2018, 6, 20, 5, 0, tzinfo=UTC)).drafted == []
    with app.transaction() as s:
        report = reports.get_report(s, report_id)
        assert (report.plan_id, report.as_of, report.state) == (
            f.plan_id,
            date(2018, 5, 18),
            "utkast",
        )
        snap = reports.snapshot_of(report)
        assert (snap.period, snap.next_report_on) == (date(2018, 6, 1), date(2019, 6, 1))
        [mail] = s.exec(select(OutboxMessage))
        assert mail.to_addr == chef.email and mail.kind == "aterrapport-utkast"
        assert f"tracker report approve {report_id} --as {chef.email}" in mail.body_text
        assert f"http://testserver/reports/{report_id}" in mail.body_text
        [pdf] = s.exec(select(OutboxAttachment).where(OutboxAttachment.message_id == mail.id))
        assert pdf.data.startswith(b"%PDF") and pdf.content_type == "application/pdf"
    approve(app, report_id, chef, first_day + timedelta(days=1))
    sent = report_sweep(app, first_day + timedelta(days=1, minutes=5))
    assert sent.sent == [report_id]
    assert report_sweep(app, first_day + timedelta(days=1, minutes=10)).sent == []
    with app.transaction() as s:
        to = sorted(
            m.to_addr
            for m in s.exec(select(OutboxMessage).where(OutboxMessage.kind == "aterrapport"))
        )
        assert to == ["namnd@pitea.example", "sekreterare@pitea.example"]


def test_a_report_date_in_the_future_is_refused(app: App, now: datetime, chef: Person) -> None:
    f = make_plan(app, now, chef)
    with pytest.raises(Refused, match="framtiden"), app.transaction() as s:
        reports.draft_report(
            s, app.registry, f.plan_id, as_of=date(2018, 1, 11), now=now, tz=app.tz, draft_days=14
        )


def test_reports_are_listed_per_plan_with_their_counts(
    app: App, now: datetime, chef: Person
) -> None:
    a = make_plan(app, now, chef, title="Plan A")
    b = make_plan(app, now, chef, title="Plan B")
    draft(app, a.plan_id, date(2018, 1, 10), now)
    draft(app, b.plan_id, date(2018, 1, 10), now)
    with app.transaction() as s:
        assert [p.title for _, p in reports.list_reports(s)] == ["Plan A", "Plan B"]
        [(report_a, _)] = reports.list_reports(s, a.plan_id)
        assert json.loads(report_a.counts_json) == {"ej_paborjat": 1, "pagar": 2}
        assert list(s.exec(select(Report.id).order_by(col(Report.id)))) == [1, 2]


def test_a_report_for_a_date_before_the_plan_had_any_atgarder_says_so(
    app: App, now: datetime, chef: Person
) -> None:
    """Plan B's åtgärder were added on the 10th: as of the 9th it had none, and a report
    that printed an empty plan would say something untrue."""
    b = make_plan(app, now, chef, title="Plan B")
    with pytest.raises(Refused) as info:
        draft(app, b.plan_id, date(2018, 1, 9), now)
    assert info.value.message == (
        "Planen hade inga åtgärder per 2018-01-09: den första finns från 2018-01-10. Välj ett "
        "senare datum, eller importera planen med 'läget per' det datum den gällde."
    )
    with app.transaction() as s:
        assert reports.list_reports(s, b.plan_id) == []


def test_a_draft_years_after_the_last_update_shows_how_old_each_note_is(
    app: App, now: datetime
) -> None:
    """The Piteå plan, imported in January 2018 and not touched since, drafted in November
    2026: each processläge still reads as written ("Pågår enligt tidsplan.") but carries its
    2018 date, and the tracker says beside it that the åtgärd is late, and since when."""
    with app.transaction() as s:
        plan_id = importing.import_file(s, app.registry, app.settings, EXAMPLE, now=now).plan_id
    later = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    report_id = draft(app, plan_id, date(2026, 11, 20), later)
    with app.transaction() as s:
        html = reports.report_document(s, report_id, "html").data.decode()
    rows = [r for r in html_rows(html) if r.kind == "action"]
    assert rows[0].note.startswith("Pågår enligt tidsplan.")
    assert [r.note_line for r in rows] == ["Skrivet 2018-01-10."] * 11
    late = "Mot tidsplanen: försenad sedan"
    assert [r.facts.removeprefix("Registrerat läge: ") for r in rows] == [
        f"Pågår. {late} 2018-03-31.",
        f"Pågår. {late} 2018-06-30.",
        "Klar. Mot tidsplanen: i tid.",
        "Pågår. Mot tidsplanen: utvärdering försenad sedan 2018-10-31.",
        f"Ej påbörjat. {late} 2017-12-31.",
        f"Pågår. {late} 2018-01-31.",
        "Klar. Mot tidsplanen: i tid.",
        f"Pågår. {late} 2018-06-30.",
        f"Pågår. {late} 2018-06-30.",
        f"Ej påbörjat. {late} 2018-01-31.",
        f"Pågår. {late} 2018-01-31.",
    ]


def test_a_long_plan_title_is_shortened_in_file_names_between_words(
    app: App, now: datetime, chef: Person
) -> None:
    title = "Åtgärdsplan för att stärka grundskolans ledningsfunktion och rektorernas stöd"
    f = make_plan(app, now, chef, title=title)
    report_id = draft(app, f.plan_id, date(2018, 1, 10), now)
    with app.transaction() as s:
        name = reports.report_document(s, report_id, "pdf").filename
    assert name == "aterrapport-atgardsplan-for-att-starka-grundskolans-utkast-2018-01-10.pdf"
    words = name.removeprefix("aterrapport-").split("-")[:-4]
    ascii_title = title.lower().translate(str.maketrans("åäö", "aao")).split()
    assert words == ascii_title[: len(words)]


DECISION = "Återrapport enligt beslut BUN 2017-06-14 § 45, Dnr BUN 2017/42"


def documents(app: App, report_id: int) -> dict[str, str]:
    """The report's three documents as text, as a reader sees them."""
    with app.transaction() as s:
        data = {fmt: reports.report_document(s, report_id, fmt).data for fmt in reports.FORMATS}
    return {
        "html": data["html"].decode(),
        "pdf": pdf_text(data["pdf"]),
        "docx": docx_text(data["docx"]),
    }


def test_an_issued_report_keeps_the_decision_it_was_issued_with(
    app: App, now: datetime, chef: Person
) -> None:
    f = make_plan(
        app, now, chef, namnd="BUN", decision_on=date(2017, 6, 14), decision_paragraph="§ 45"
    )
    first = draft(app, f.plan_id, date(2018, 1, 10), now)
    approve(app, first, chef, now + timedelta(hours=1))
    later = now + timedelta(days=1)
    with app.transaction() as s:
        plan = plans.get_plan(s, f.plan_id)
        values = plan_settings.read_settings(
            {"decision_on": "2018-01-11", "decision_paragraph": "3"}
        )
        plan_settings.change_plan(s, plan, values, now=later, actor=chef)
    for fmt, shown in documents(app, first).items():
        assert DECISION in shown, fmt
    second = draft(app, f.plan_id, date(2018, 1, 11), later)
    for fmt, shown in documents(app, second).items():
        assert "Återrapport enligt beslut BUN 2018-01-11 § 3, Dnr BUN 2017/42" in shown, fmt
        assert DECISION not in shown, fmt


def test_a_report_drafted_before_decisions_were_kept_renders_and_issues_without_one(
    app: App, now: datetime, chef: Person
) -> None:
    f = make_plan(
        app, now, chef, namnd="BUN", decision_on=date(2017, 6, 14), decision_paragraph="§ 45"
    )
    report_id = draft(app, f.plan_id, date(2018, 1, 10), now)
    assert DECISION in documents(app, report_id)["html"]
    with app.transaction() as s:
        stored = json.loads(reports.get_report(s, report_id).snapshot_json)
    # The snapshot as the versions before the decision was kept wrote it.
    del stored["plan"]["decision_on"], stored["plan"]["decision_paragraph"]
    with app.engine.begin() as conn:  # a draft is still a working copy
        conn.execute(
            text("UPDATE report SET snapshot_json = :j WHERE id = :i"),
            {"j": json.dumps(stored), "i": report_id},
        )
    for fmt, shown in documents(app, report_id).items():
        assert "Återrapport enligt beslut" not in shown, fmt
    approve(app, report_id, chef, now + timedelta(hours=1))
    for fmt, shown in documents(app, report_id).items():
        assert "Återrapport nr 1" in shown and "Återrapport enligt beslut" not in shown, fmt
