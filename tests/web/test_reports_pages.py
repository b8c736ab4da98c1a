"""Återrapporter on the web: the list per plan, drafting, approving and sending to the nämnd
through the outbox, the review link from the chef's mail, downloads of the archived bytes, and
who may see and do what."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from tests.support import builders as b
from tests.support.documents import pdf_text, squash
from tests.support.smtp import SmtpServer
from tests.web.conftest import World
from tests.web.helpers import (
    Form,
    MovableClock,
    form_to,
    forms,
    href_to,
    log_in,
    path_of,
    refuse_for_good,
    retry_and_deliver,
    text_of,
)
from tracker.app import App
from tracker.models import Action, OutboxAttachment, OutboxMessage, Person, Plan, Report, Role
from tracker.models.report import ReportFile
from tracker.reports.jobs import review_url
from tracker.services import people, reports
from tracker.web.links import login_url

RECIPIENTS = "namnd@pitea.example, sekreterare@pitea.example"


@pytest.fixture
def chef_client(client: TestClient, app: App, world: World, clock: MovableClock) -> TestClient:
    log_in(client, app, world.chef, clock())
    return client


def set_recipients(app: App, plan_id: int, recipients: str = RECIPIENTS) -> None:
    with app.transaction() as s:
        plan = s.get(Plan, plan_id)
        assert plan is not None
        plan.board_recipients = recipients
        s.add(plan)


def draft(app: App, plan_id: int, clock: MovableClock, as_of: date | None = None) -> int:
    with app.transaction() as s:
        report = reports.draft_report(
            s,
            app.registry,
            plan_id,
            as_of=as_of or date(2018, 1, 10),
            now=clock(),
            tz=app.tz,
            draft_days=14,
        )
        assert report.id is not None
        return report.id


def issue(app: App, report_id: int, chef: Person, clock: MovableClock) -> None:
    with app.transaction() as s:
        reports.approve_report(s, app.registry, report_id, chef, now=clock(), tz=app.tz)


def get_report(app: App, report_id: int) -> Report:
    with app.transaction() as s:
        report = s.get(Report, report_id)
        assert report is not None
        return report


def report_ids(app: App) -> list[int]:
    with app.transaction() as s:
        return [r for r in s.exec(select(Report.id).order_by(col(Report.id))).all() if r]


def outbox(app: App, kind: str = "aterrapport") -> list[OutboxMessage]:
    with app.transaction() as s:
        return list(
            s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.kind == kind)
                .order_by(col(OutboxMessage.id))
            ).all()
        )


def other_chef(app: App, clock: MovableClock) -> Person:
    with app.transaction() as s:
        return people.ensure_person(
            s,
            "kim.ek@pitea.example",
            now=clock(),
            name="Kim Ek",
            role=Role.chef,
            forvaltning="Kultur- och fritidsförvaltningen",
        )


def approve_form(client: TestClient, report_id: int) -> Form:
    """The confirmation page the draft's approve link leads to, and its form."""
    page = client.get(f"/aterrapporter/{report_id}").text
    confirm = client.get(href_to(page, f"/aterrapporter/{report_id}/godkann"))
    assert confirm.status_code == 200, confirm.text
    return form_to(confirm.text, f"/aterrapporter/{report_id}/godkann")


def csrf_of(client: TestClient) -> str:
    return form_to(client.get("/planer").text, "/logga-ut").fields["csrf"]


# --- the chef's flow -----------------------------------------------------------------------


def test_chef_drafts_approves_and_sends_to_the_namnd_through_the_outbox(
    chef_client: TestClient, app: App, world: World
) -> None:
    set_recipients(app, world.plan_id)
    plan_page = chef_client.get(f"/planer/{world.plan_id}")
    assert f'href="/planer/{world.plan_id}/aterrapporter"' in plan_page.text
    listing = chef_client.get(f"/planer/{world.plan_id}/aterrapporter")
    assert listing.status_code == 200
    assert "Planen har inga återrapporter eller utkast ännu." in text_of(listing.text)
    form = form_to(listing.text, f"/planer/{world.plan_id}/aterrapporter")
    assert form.fields["as_of"] == "2018-01-10"  # today in Stockholm
    assert ("", "", "Gör utkast") in form.buttons

    made = chef_client.post(form.action, data=form.data(), follow_redirects=False)
    assert made.status_code == 303
    [report_id] = report_ids(app)
    assert made.headers["location"] == f"/aterrapporter/{report_id}"
    page = chef_client.get(made.headers["location"])
    words = text_of(page.text)
    assert "Utkastet per 2018-01-10 är sparat." in words
    assert "Utkast till återrapport (2018-01-10)" in words
    assert "Läge Utkast" in words
    assert "Skickad till nämnden Inte ännu" in words
    assert get_report(app, report_id).created_by == "Malin Westling <malin.westling@pitea.example>"
    assert outbox(app) == []

    approve = approve_form(chef_client, report_id)
    assert ("", "", "Godkänn och skicka") in approve.buttons
    done = chef_client.post(approve.action, data=approve.data(), follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/aterrapporter/{report_id}"

    report = get_report(app, report_id)
    assert (report.state, report.number) == ("skickad", 1)
    assert report.approved_by == "Malin Westling <malin.westling@pitea.example>"
    sent = outbox(app)
    assert [m.to_addr for m in sent] == ["namnd@pitea.example", "sekreterare@pitea.example"]
    with app.transaction() as s:
        attached = s.exec(
            select(OutboxAttachment.filename).where(OutboxAttachment.message_id == sent[0].id)
        ).all()
        files = {f.format: f.sha256 for f in s.exec(select(ReportFile)).all()}
    assert sorted(n.rsplit(".", 1)[1] for n in attached) == ["docx", "pdf"]

    shown = chef_client.get(f"/aterrapporter/{report_id}")
    words = text_of(shown.text)
    assert "ligger i utkorgen till nämnden: namnd@pitea.example, sekreterare@pitea.example" in words
    assert "Återrapport nr 1 (2018-01-10)" in words
    assert "Läge Godkänd, i utkorgen" in words
    assert "Godkänd 2018-01-10 10:00 av Malin Westling" in words
    assert all(sha in shown.text for sha in files.values())
    assert not [f for f in forms(shown.text) if "/godkann" in f.action or "/skicka" in f.action]

    # The list: number, state, date, short SHA-256, approved by and when, sent when.
    row = text_of(chef_client.get(f"/planer/{world.plan_id}/aterrapporter").text)
    assert "Nr 1 Godkänd, i utkorgen 2018-01-10 Malin Westling" in row
    assert "2018-01-10 10:00 –" in row
    assert all(sha[:12] in row for sha in files.values())
    # ...and across all plans, from the menu.
    overview = chef_client.get("/aterrapporter")
    assert 'href="/aterrapporter"' in overview.text  # the navigation link
    assert "Åtgärdsplan efter granskning av ekonomiskt bistånd Nr 1 Godkänd, i utkorgen" in (
        text_of(overview.text)
    )


def test_approving_first_shows_the_number_recipients_and_attachments_and_sends_nothing(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    set_recipients(app, world.plan_id)
    issue(app, draft(app, world.plan_id, clock), world.chef, clock)
    clock.advance(days=1)
    report_id = draft(app, world.plan_id, clock, as_of=date(2018, 1, 11))
    log_in(chef_client, app, world.chef, clock())  # idle for a day: logged out
    page = chef_client.get(f"/aterrapporter/{report_id}")
    # The report's own page has no form that approves: only a link to the confirmation.
    assert not [f for f in forms(page.text) if "/godkann" in f.action]
    confirm = chef_client.get(href_to(page.text, f"/aterrapporter/{report_id}/godkann"))
    assert confirm.status_code == 200
    words = text_of(confirm.text)
    assert "blir Återrapport nr 2 (2018-01-11)." in words
    assert "Nummer 2 Mottagare namnd@pitea.example sekreterare@pitea.example Bilagor PDF:" in words
    assert "kan inte ändras efteråt" in words
    approve = form_to(confirm.text, f"/aterrapporter/{report_id}/godkann")
    assert ("", "", "Godkänn och skicka") in approve.buttons
    assert f'<a href="/aterrapporter/{report_id}">Avbryt</a>' in confirm.text
    assert (get_report(app, report_id).state, outbox(app)) == ("utkast", [])

    # A post without the confirmation only leads to the page.
    unconfirmed = chef_client.post(
        approve.action, data=approve.data(bekraftat=""), follow_redirects=False
    )
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == f"/aterrapporter/{report_id}/godkann?version=1"
    assert (get_report(app, report_id).state, outbox(app)) == ("utkast", [])

    done = chef_client.post(approve.action, data=approve.data(), follow_redirects=False)
    assert done.status_code == 303
    assert (get_report(app, report_id).state, get_report(app, report_id).number) == ("skickad", 2)
    assert [m.to_addr for m in outbox(app)] == ["namnd@pitea.example", "sekreterare@pitea.example"]
    # The attachments were named as the confirmation said.
    with app.transaction() as s:
        named = s.exec(
            select(ReportFile.format, ReportFile.filename).where(ReportFile.report_id == report_id)
        ).all()
    attached = dict(named)
    assert f"PDF: {attached['pdf']} Word (DOCX): {attached['docx']} Det går inte" in words


def test_a_draft_changed_after_the_confirmation_page_is_refused_and_nothing_is_sent(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    set_recipients(app, world.plan_id)
    report_id = draft(app, world.plan_id, clock)
    page = chef_client.get(f"/aterrapporter/{report_id}").text
    approve = approve_form(chef_client, report_id)
    with app.transaction() as s:
        report = s.get_one(Report, report_id)
        reports.rewrite_draft(s, report, report.version, snapshot_json=report.snapshot_json)

    done = chef_client.post(approve.action, data=approve.data())
    assert done.status_code == 409
    words = text_of(done.text)
    assert "Utkastet har ändrats av någon annan sedan du öppnade det" in words
    assert "Ingenting ändrades." in words
    report = get_report(app, report_id)
    assert (report.state, report.number, outbox(app)) == ("utkast", None, [])
    # The link on the page seen before the change is refused too, before any confirmation.
    stale = chef_client.get(href_to(page, f"/aterrapporter/{report_id}/godkann"))
    assert stale.status_code == 409
    assert "Utkastet har ändrats av någon annan" in text_of(stale.text)
    assert not [f for f in forms(stale.text) if "/godkann" in f.action]


def test_recipients_changed_after_the_confirmation_page_are_refused_and_nothing_is_sent(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    set_recipients(app, world.plan_id)
    report_id = draft(app, world.plan_id, clock)
    approve = approve_form(chef_client, report_id)
    set_recipients(app, world.plan_id, "annan@pitea.example")

    done = chef_client.post(approve.action, data=approve.data())
    assert done.status_code == 409
    assert "Nämndens mottagare har ändrats sedan du bekräftade" in text_of(done.text)
    report = get_report(app, report_id)
    assert (report.state, report.number, outbox(app)) == ("utkast", None, [])


def test_the_report_is_called_sent_only_once_the_outbox_delivered_it_to_every_recipient(
    chef_client: TestClient, app: App, world: World, clock: MovableClock, smtp_server: SmtpServer
) -> None:
    set_recipients(app, world.plan_id)
    report_id = draft(app, world.plan_id, clock)
    approve = approve_form(chef_client, report_id)
    chef_client.post(approve.action, data=approve.data())

    # Queued, not sent.
    words = text_of(chef_client.get(f"/aterrapporter/{report_id}").text)
    assert "Läge Godkänd, i utkorgen" in words
    assert (
        "Skickad till nämnden Inte ännu: 2 av 2 brev väntar i utkorgen sedan 2018-01-10 10:00"
        in (words)
    )

    # One recipient's server refuses for good: the page says so, with the way to the outbox.
    result = refuse_for_good(app, smtp_server, clock, "sekreterare@pitea.example")
    assert (result.sent, result.failed) == (1, 1)
    page = chef_client.get(f"/aterrapporter/{report_id}").text
    words = text_of(page)
    assert "Läge Godkänd, utskicket misslyckades" in words
    assert "Inte till alla: 1 av 2 brev kunde inte skickas." in words
    assert 'href="/utkorg?visa=misslyckade"' in page

    # Sent again from the outbox and delivered: now it is sent, at the time the last one went.
    assert retry_and_deliver(app, smtp_server, clock, "sekreterare@pitea.example").sent == 1
    words = text_of(chef_client.get(f"/aterrapporter/{report_id}").text)
    assert "Läge Skickad" in words
    assert "Skickad till nämnden 2018-01-10 10:15, till alla 2 mottagare" in words
    row = text_of(chef_client.get(f"/planer/{world.plan_id}/aterrapporter").text)
    assert "Nr 1 Skickad 2018-01-10 Malin Westling" in row
    assert "2018-01-10 10:00 2018-01-10 10:15" in row


def test_a_draft_is_titled_without_a_number_counted_across_other_plans(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    draft(app, world.plan_id, clock)  # another plan's draft comes first
    other, area = b.plan(app, now=clock(), chef=world.chef, title="Plan för läsfrämjande")
    b.action(app, area, "Ta fram en läsplan", now=clock(), owner=world.anna)
    assert other.id is not None
    report_id = draft(app, other.id, clock)
    assert report_id == 2

    words = text_of(chef_client.get(f"/aterrapporter/{report_id}").text)
    assert "Utkast till återrapport (2018-01-10)" in words
    assert "Utkast 2 (" not in words
    listing = text_of(chef_client.get(f"/planer/{other.id}/aterrapporter").text)
    assert "(SHA-256) Utkast Utkast 2018-01-10" in listing
    # Once issued it is the plan's first: numbers count within the plan.
    issue(app, report_id, world.chef, clock)
    assert get_report(app, report_id).number == 1


def test_an_emoji_in_an_atgard_its_processlage_or_owner_still_lets_the_chef_approve_and_send(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    set_recipients(app, world.plan_id)
    with app.transaction() as s:
        action = s.get(Action, world.a1)
        owner = s.get(Person, world.anna.id)
        assert action is not None and owner is not None
        action.text = "Utvärdera hälsosamtalen 🩺"
        action.progress_note = "Igång 😀 med 漢字\u200b och \u202eomvänt\u202c\ufeff."
        owner.name = "Anna 👩‍⚕️ Berg"
    report_id = draft(app, world.plan_id, clock)

    pdf = chef_client.get(f"/aterrapporter/{report_id}/dokument.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert squash("Igång □ med □□") in squash(pdf_text(pdf.content))
    html = chef_client.get(f"/aterrapporter/{report_id}/dokument.html").text
    assert "Utvärdera hälsosamtalen 🩺" in html and "Igång 😀 med 漢字" in html

    approve = approve_form(chef_client, report_id)
    done = chef_client.post(approve.action, data=approve.data(), follow_redirects=False)
    assert done.status_code == 303
    assert (get_report(app, report_id).state, len(outbox(app))) == ("skickad", 2)


def test_when_the_pdf_cannot_be_made_the_chef_gets_a_page_in_swedish_and_nothing_is_sent(
    chef_client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_recipients(app, world.plan_id)
    report_id = draft(app, world.plan_id, clock)
    approve = approve_form(chef_client, report_id)
    # A broken PDF engine: the child process that runs Typst finds this package first.
    (tmp_path / "typst").mkdir()
    (tmp_path / "typst" / "__init__.py").write_text("raise ImportError('trasig installation')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))

    for answer in (
        chef_client.get(f"/aterrapporter/{report_id}/dokument.pdf"),
        chef_client.post(approve.action, data=approve.data(), follow_redirects=False),
    ):
        assert answer.status_code == 500
        assert answer.headers["content-type"].startswith("text/html")
        words = text_of(answer.text)
        assert "Dokumentet kunde inte skapas" in words
        assert "ingenting ändrades och ingenting skickades" in words
    report = get_report(app, report_id)
    assert (report.state, report.number, report.version) == ("utkast", None, 1)
    assert outbox(app) == []


def test_approving_twice_is_refused_and_changes_nothing(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    set_recipients(app, world.plan_id)
    report_id = draft(app, world.plan_id, clock)
    approve = approve_form(chef_client, report_id)
    assert chef_client.post(approve.action, data=approve.data()).status_code == 200
    before = get_report(app, report_id), len(outbox(app))

    clock.advance(minutes=5)
    again = chef_client.post(approve.action, data=approve.data())
    assert again.status_code == 422
    words = text_of(again.text)
    assert "Återrapport nr 1 (2018-01-10) är redan godkänd och kan inte godkännas igen." in words
    assert "Ingenting ändrades." in words
    after = get_report(app, report_id), len(outbox(app))
    assert (after[0].version, after[0].approved_at, after[0].sent_at, after[1]) == (
        before[0].version,
        before[0].approved_at,
        before[0].sent_at,
        before[1],
    )


def test_the_draft_date_defaults_to_today_in_stockholm(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    clock.advance(hours=14, minutes=30)  # 23:30 UTC: already the 11th in Stockholm
    log_in(chef_client, app, world.chef, clock())  # idle since the morning: logged out
    listing = chef_client.get(f"/planer/{world.plan_id}/aterrapporter")
    form = form_to(listing.text, f"/planer/{world.plan_id}/aterrapporter")
    assert form.fields["as_of"] == "2018-01-11"


def test_a_stale_approve_form_is_a_conflict_and_changes_nothing(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    report_id = draft(app, world.plan_id, clock)
    approve = approve_form(chef_client, report_id)
    done = chef_client.post(approve.action, data=approve.data(version="7"))
    assert done.status_code == 409
    assert "har ändrats av någon annan" in text_of(done.text)
    report = get_report(app, report_id)
    assert (report.state, report.number, report.version) == ("utkast", None, 1)


def test_a_draft_in_the_future_or_before_the_last_issued_report_is_refused(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    listing = chef_client.get(f"/planer/{world.plan_id}/aterrapporter")
    form = form_to(listing.text, f"/planer/{world.plan_id}/aterrapporter")
    future = chef_client.post(form.action, data=form.data(as_of="2018-02-01"))
    assert future.status_code == 422
    assert "Återrapportens datum kan inte ligga i framtiden." in text_of(future.text)
    # The date typed is kept in the form.
    assert form_to(future.text, "/aterrapporter").fields["as_of"] == "2018-02-01"
    bad = chef_client.post(form.action, data=form.data(as_of="10 januari"))
    assert bad.status_code == 422
    assert "Läget per: skriv datumet som ÅÅÅÅ-MM-DD" in text_of(bad.text)
    issue(app, draft(app, world.plan_id, clock), world.chef, clock)
    earlier = chef_client.post(form.action, data=form.data(as_of="2018-01-09"))
    assert earlier.status_code == 422
    assert "är redan utfärdad" in text_of(earlier.text)
    assert len(report_ids(app)) == 1


def test_without_recipients_the_report_is_issued_and_sent_later_from_its_page(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    report_id = draft(app, world.plan_id, clock)
    page = chef_client.get(f"/aterrapporter/{report_id}")
    assert "Planen har inga mottagare i nämnden ännu." in text_of(page.text)
    # The way to where the recipients are given, beside the sentence that asks for them.
    recipients_link = f'href="/planer/{world.plan_id}/installningar#mottagare"'
    assert recipients_link in page.text
    confirm = chef_client.get(href_to(page.text, f"/aterrapporter/{report_id}/godkann"))
    words = text_of(confirm.text)
    assert "Godkänn utan att skicka" in words
    assert "men den skickas inte till nämnden: Planen har inga mottagare i nämnden ännu." in words
    assert "Mottagare" not in words
    approve = form_to(confirm.text, f"/aterrapporter/{report_id}/godkann")
    assert ("", "", "Godkänn") in approve.buttons
    done = chef_client.post(approve.action, data=approve.data())
    assert done.status_code == 200
    words = text_of(done.text)
    assert "är godkänd och arkiverad men skickades inte till nämnden" in words
    assert "Planen har inga mottagare i nämnden." in words
    # Not a button to send that can only be refused again, but where to give the recipients.
    assert recipients_link in done.text
    assert f"/aterrapporter/{report_id}/skicka" not in done.text
    report = get_report(app, report_id)
    assert (report.state, report.number, report.sent_at) == ("godkand", 1, None)
    assert outbox(app) == []

    set_recipients(app, world.plan_id, "namnd@pitea.example")
    page = chef_client.get(f"/aterrapporter/{report_id}")
    assert recipients_link not in page.text
    confirm = chef_client.get(href_to(page.text, f"/aterrapporter/{report_id}/skicka"))
    words = text_of(confirm.text)
    assert "Mottagare namnd@pitea.example" in words
    assert "Bilagor PDF: aterrapport-" in words and "-nr1-2018-01-10.docx" in words
    assert get_report(app, report_id).state == "godkand"  # nothing sent by looking
    send = form_to(confirm.text, f"/aterrapporter/{report_id}/skicka")
    assert ("", "", "Skicka till nämnden") in send.buttons
    sent = chef_client.post(send.action, data=send.data())
    assert sent.status_code == 200
    assert "ligger i utkorgen till nämnden: namnd@pitea.example" in text_of(sent.text)
    assert get_report(app, report_id).state == "skickad"
    assert [m.to_addr for m in outbox(app)] == ["namnd@pitea.example"]
    # Sending again is refused with the workflow's reason; nothing more is queued.
    again = chef_client.post(send.action, data=send.data())
    assert again.status_code == 422
    assert "Ingenting ändrades." in text_of(again.text)
    assert len(outbox(app)) == 1


# --- the review link from the scheduled mail -------------------------------------------------


def test_review_link_in_the_chefs_mail_shows_the_report_after_logging_in(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    report_id = draft(app, world.plan_id, clock)
    link = path_of(review_url(app.settings, report_id))
    assert link == f"/reports/{report_id}"
    first = client.get(link, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/logga-in"
    confirm = client.get(path_of(login_url(app.settings, world.chef, now=clock())))
    form = form_to(confirm.text, "/logga-in/")
    done = client.post(form.action, data=form.data(), follow_redirects=False)
    assert done.headers["location"] == link
    page = client.get(link)
    assert page.status_code == 200
    assert "Utkast till återrapport (2018-01-10)" in text_of(page.text)
    assert href_to(page.text, f"/aterrapporter/{report_id}/godkann")


# --- downloads -----------------------------------------------------------------------------


def test_an_issued_reports_downloads_are_the_archived_bytes(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    report_id = draft(app, world.plan_id, clock)
    issue(app, report_id, world.chef, clock)
    with app.transaction() as s:
        stored = {f.format: f for f in s.exec(select(ReportFile)).all()}
    assert set(stored) == {"html", "pdf", "docx"}
    page = chef_client.get(f"/aterrapporter/{report_id}")
    for fmt, expected_type in [
        ("html", "text/html; charset=utf-8"),
        ("pdf", "application/pdf"),
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ]:
        url = f"/aterrapporter/{report_id}/dokument.{fmt}"
        assert f'href="{url}"' in page.text
        got = chef_client.get(url)
        assert got.status_code == 200
        assert got.headers["content-type"] == expected_type
        name = stored[fmt].filename
        assert name.endswith(f"-nr1-2018-01-10.{fmt}")
        # The HTML report is read in the browser; the PDF and DOCX are files to keep.
        disposition = "inline" if fmt == "html" else "attachment"
        assert got.headers["content-disposition"].startswith(f'{disposition}; filename="{name}"')
        assert got.content == stored[fmt].data
        assert hashlib.sha256(got.content).hexdigest() == stored[fmt].sha256
    assert chef_client.get(f"/aterrapporter/{report_id}/dokument.odt").status_code == 422
    assert chef_client.get("/aterrapporter/999/dokument.pdf").status_code == 404


def test_the_html_report_opens_in_the_browser_with_its_own_style_and_nothing_else(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    report_id = draft(app, world.plan_id, clock)
    page = chef_client.get(f"/aterrapporter/{report_id}")
    url = f"/aterrapporter/{report_id}/dokument.html"
    assert f'href="{url}"' in page.text
    got = chef_client.get(url)
    assert got.headers["content-disposition"].startswith("inline; ")
    # The app's own policy forbids inline style, which the self-contained report needs; the
    # report's allows that and no script, no fetch, no form, and no framing.
    policy = got.headers["content-security-policy"]
    assert "style-src 'unsafe-inline'" in policy and "default-src 'none'" in policy
    assert "script-src" not in policy and "sandbox" in policy
    assert "frame-ancestors 'none'" in policy
    assert "<style>" in got.text
    for fmt in ("pdf", "docx"):
        other = chef_client.get(f"/aterrapporter/{report_id}/dokument.{fmt}")
        assert other.headers["content-disposition"].startswith("attachment; ")
        assert "unsafe-inline" not in other.headers["content-security-policy"]


def test_a_drafts_download_is_rendered_now_and_named_as_a_draft(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    report_id = draft(app, world.plan_id, clock)
    got = chef_client.get(f"/aterrapporter/{report_id}/dokument.html")
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/html; charset=utf-8"
    assert "-utkast-2018-01-10.html" in got.headers["content-disposition"]
    assert "Ta fram rutin för handläggning" in got.text


# --- who may see and do what ---------------------------------------------------------------


def test_board_reader_sees_and_downloads_only_issued_reports(
    client: TestClient, app: App, world: World, board: Person, clock: MovableClock
) -> None:
    issued = draft(app, world.plan_id, clock)
    issue(app, issued, world.chef, clock)
    clock.advance(days=1)
    drafted = draft(app, world.plan_id, clock, as_of=date(2018, 1, 11))
    log_in(client, app, board, clock())
    assert 'href="/aterrapporter"' in client.get("/planer").text
    assert 'href="/utkorg"' not in client.get("/planer").text
    listing = client.get(f"/planer/{world.plan_id}/aterrapporter")
    assert listing.status_code == 200
    words = text_of(listing.text)
    assert "Nr 1 Godkänd 2018-01-10" in words
    assert "Utkast" not in words
    assert not [f for f in forms(listing.text) if f.method == "post" and "logga-ut" not in f.action]
    assert "Utkast" not in text_of(client.get("/aterrapporter").text)
    assert client.get(f"/aterrapporter/{issued}").status_code == 200
    assert client.get(f"/aterrapporter/{issued}/dokument.pdf").status_code == 200
    refused = client.get(f"/aterrapporter/{drafted}")
    assert refused.status_code == 403
    assert "är ett utkast som inte är godkänt ännu" in text_of(refused.text)
    assert client.get(f"/reports/{drafted}").status_code == 403
    assert client.get(f"/aterrapporter/{drafted}/dokument.pdf").status_code == 403
    csrf = csrf_of(client)
    for path, data in [
        (f"/planer/{world.plan_id}/aterrapporter", {"as_of": "2018-01-10"}),
        (f"/aterrapporter/{drafted}/godkann", {"version": "1"}),
        (f"/aterrapporter/{issued}/skicka", {}),
    ]:
        r = client.post(path, data={**data, "csrf": csrf})
        assert r.status_code == 403, path
        assert "Du kan läsa planer och rapporter men inte ändra dem." in text_of(r.text)
    assert get_report(app, drafted).state == "utkast"
    assert get_report(app, issued).state == "godkand"
    assert len(report_ids(app)) == 2


def test_a_chef_of_another_forvaltning_neither_sees_nor_approves_the_reports(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    issued = draft(app, world.plan_id, clock)
    issue(app, issued, world.chef, clock)
    clock.advance(days=1)
    drafted = draft(app, world.plan_id, clock, as_of=date(2018, 1, 11))
    log_in(client, app, other_chef(app, clock), clock())
    assert "Det finns inga återrapporter ännu." in text_of(client.get("/aterrapporter").text)
    for path in (
        f"/planer/{world.plan_id}/aterrapporter",
        f"/aterrapporter/{issued}",
        f"/reports/{drafted}",
        f"/aterrapporter/{issued}/dokument.pdf",
        f"/aterrapporter/{drafted}/dokument.html",
    ):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "Planen hör till Utbildningsförvaltningen." in text_of(r.text)
    csrf = csrf_of(client)
    for path, data in [
        (f"/planer/{world.plan_id}/aterrapporter", {"as_of": "2018-01-10"}),
        (f"/aterrapporter/{drafted}/godkann", {"version": "1"}),
        (f"/aterrapporter/{issued}/skicka", {}),
    ]:
        r = client.post(path, data={**data, "csrf": csrf})
        assert r.status_code == 403, path
    assert get_report(app, drafted).state == "utkast"
    assert len(report_ids(app)) == 2


def test_not_logged_in_goes_to_the_log_in_page(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    report_id = draft(app, world.plan_id, clock)
    for path in (
        "/aterrapporter",
        f"/planer/{world.plan_id}/aterrapporter",
        f"/aterrapporter/{report_id}",
        f"/reports/{report_id}",
        f"/aterrapporter/{report_id}/dokument.pdf",
    ):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"] == "/logga-in"


def test_report_posts_without_csrf_are_refused_and_change_nothing(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    set_recipients(app, world.plan_id)
    issued = draft(app, world.plan_id, clock)
    issue(app, issued, world.chef, clock)
    clock.advance(days=1)
    drafted = draft(app, world.plan_id, clock, as_of=date(2018, 1, 11))
    for path, data in [
        (f"/planer/{world.plan_id}/aterrapporter", {"as_of": "2018-01-10"}),
        (f"/aterrapporter/{drafted}/godkann", {"version": "1"}),
        (f"/aterrapporter/{issued}/skicka", {}),
    ]:
        r = chef_client.post(path, data={**data, "csrf": "fel"})
        assert r.status_code == 403, path
        assert "Formuläret kunde inte kontrolleras" in text_of(r.text)
    assert len(report_ids(app)) == 2
    assert (get_report(app, drafted).state, get_report(app, issued).state) == (
        "utkast",
        "godkand",
    )
    assert outbox(app) == []
