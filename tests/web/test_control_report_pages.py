"""The follow-up of an internkontrollplan on the web: the chef drafts it from the plan's page
("Skapa utkast till uppföljning"), writes the overall assessment on the draft's page, cannot
approve without it, approves, and the report goes to the nämnd's outbox; the nämnd's reader
sees the issued report and never the draft."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import select

from tests.support.smtp import SmtpServer
from tests.web.helpers import (
    MovableClock,
    form_to,
    href_to,
    log_in,
    refuse_for_good,
    retry_and_deliver,
    text_of,
)
from tracker.app import App
from tracker.domain.workdays import WorkCalendar
from tracker.models import ControlOccurrence, ControlPlan, OutboxMessage, Person, Plan
from tracker.services import actions, control_occurrences, control_report, internal_control
from tracker.services import reports as report_service

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "internkontroll-skola.csv"
BOARD = "Barn- och utbildningsnämnden"
DEVIATION = "Två lektioner saknade frånvaroregistrering."
ASSESSMENT = "Kontrollerna visar en i huvudsak god intern kontroll.\n- Närvaron följs upp."


def _plan_with_a_deviation(app: App, chef: Person, now: datetime) -> tuple[int, int]:
    """The school plan for 2018, its January attendance control reported with a deviation:
    (the internkontrollplan's id, the åtgärd the deviation opened)."""
    with app.transaction() as s:
        result = internal_control.import_control_plan(
            s,
            app.registry,
            EXAMPLE.read_bytes(),
            EXAMPLE.name,
            namnd=BOARD,
            year=2018,
            forvaltning=chef.forvaltning,
            now=now,
        )
        control_plan = s.get_one(ControlPlan, result.plan_id)
        plan = s.get_one(Plan, control_plan.plan_id)
        plan.board_recipients = "namnd@pitea.example"
        s.add(plan)
        control_occurrences.open_due_controls(
            s, app.registry, now=now, today=date(2018, 1, 20), cal=WorkCalendar()
        )
        [occurrence] = s.exec(select(ControlOccurrence)).all()
        change = actions.move(
            s,
            app.registry,
            occurrence.action_id,
            "genomfor",
            chef,
            now=datetime(2018, 1, 31, 12, tzinfo=UTC),
            answers={
                "resultat": "Avvikelse",
                "avvikelse": DEVIATION,
                "urval": "Fem lektioner per skola",
                "metod": "Stickprov",
            },
        )
        assert change.opened_id is not None
        return result.plan_id, change.opened_id


def test_the_chef_drafts_assesses_approves_and_sends_the_follow_up(
    client: TestClient, app: App, chef: Person, board: Person, clock: MovableClock
) -> None:
    control_plan_id, _ = _plan_with_a_deviation(app, chef, clock())
    clock.advance(days=26)  # 5 February 2018
    log_in(client, app, chef, clock())
    page = client.get(f"/internkontroll/{control_plan_id}")
    assert "Ingen uppföljning är gjord ännu." in text_of(page.text)

    # A date that is none is refused on the plan's page, the date kept.
    form = form_to(page.text, "/uppfoljning")
    bad = client.post(form.action, data=form.data(as_of="5 februari"), follow_redirects=False)
    assert bad.status_code == 422
    assert "Läget per: skriv datumet som ÅÅÅÅ-MM-DD" in text_of(bad.text)
    assert 'value="5 februari"' in bad.text

    made = client.post(form.action, data=form.data(as_of="2018-02-05"), follow_redirects=False)
    assert made.status_code == 303, made.text
    draft_url = str(made.headers["location"])
    draft = client.get(draft_url)
    words = text_of(draft.text)
    assert "Utkast till uppföljning av internkontrollplan 2018 (2018-02-05)" in words
    assert "Chefens samlade bedömning" in words

    # Approval is refused until the assessment is written, already before the confirmation.
    approve_link = href_to(draft.text, "/godkann")
    refused = client.get(approve_link)
    assert refused.status_code == 422
    assert "Skriv chefens samlade bedömning i utkastet" in text_of(refused.text)

    assessment = form_to(draft.text, "/bedomning")
    empty = client.post(assessment.action, data=assessment.data(text=" "), follow_redirects=False)
    assert empty.status_code == 422
    assert "Skriv den samlade bedömningen innan du sparar." in text_of(empty.text)
    saved = client.post(
        assessment.action, data=assessment.data(text=ASSESSMENT), follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    draft = client.get(draft_url)
    assert "Kontrollerna visar en i huvudsak god intern kontroll." in draft.text
    # The draft's document carries it, with the deviation and its åtgärd's state.
    document = text_of(client.get(f"{draft_url}/dokument.html").text)
    for expected in (
        "Uppföljning av internkontrollplan 2018",
        "UTKAST – INTE GODKÄNT",
        "Kontrollerna visar en i huvudsak god intern kontroll.",
        DEVIATION,
        "Ej påbörjat",
    ):
        assert expected in document, expected

    # A stale link (the version before the assessment) is a conflict, nothing approved.
    stale = client.get(approve_link)
    assert stale.status_code == 409
    confirm = client.get(href_to(draft.text, "/godkann"))
    assert "blir Uppföljning av internkontrollplan 2018, nr 1 (2018-02-05)." in text_of(
        confirm.text
    )
    approve = form_to(confirm.text, "/godkann")
    done = client.post(approve.action, data=approve.data(), follow_redirects=False)
    assert done.status_code == 303, done.text
    issued = text_of(client.get(draft_url).text)
    assert "Uppföljning av internkontrollplan 2018, nr 1 (2018-02-05)" in issued
    assert "ligger i utkorgen till nämnden: namnd@pitea.example" in issued
    assert 'action="' + draft_url + '/bedomning"' not in client.get(draft_url).text
    with app.transaction() as s:
        [mail] = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "aterrapport")).all()
        assert mail.subject == f"Uppföljning av internkontrollplan 2018, nr 1: {BOARD}"
    listed = text_of(client.get(f"/internkontroll/{control_plan_id}").text)
    # Queued is not sent: the plan's page says what the report's own page says.
    assert "Uppföljning av internkontrollplan 2018, nr 1 (2018-02-05) – Godkänd, i utkorgen" in (
        listed
    )


def test_the_year_s_follow_up_drafted_after_new_year_is_for_the_plan_s_year(
    client: TestClient, app: App, chef: Person, clock: MovableClock
) -> None:
    """Drafted on 15 January with today's läge, the follow-up of last year's plan covers
    that year and says the day of its läge, on the draft's page and in its document."""
    control_plan_id, _ = _plan_with_a_deviation(app, chef, clock())
    clock.now = datetime(2019, 1, 15, 9, tzinfo=UTC)
    log_in(client, app, chef, clock())
    page = client.get(f"/internkontroll/{control_plan_id}")
    form = form_to(page.text, "/uppfoljning")
    assert form.fields["as_of"] == "2019-01-15"
    made = client.post(form.action, data=form.data(), follow_redirects=False)
    assert made.status_code == 303, made.text
    draft = client.get(str(made.headers["location"]))
    assert "gäller Helår 2018, 2018-01-01 – 2018-12-31, läget per 2019-01-15." in text_of(
        draft.text
    )
    document = client.get(href_to(draft.text, "/dokument.html"))
    assert "Helår 2018: 1 januari 2018 – 31 december 2018, läget per 15 januari 2019" in (
        text_of(document.text)
    )


def test_the_namnds_reader_sees_the_issued_follow_up_but_not_the_draft(
    client: TestClient, app: App, chef: Person, board: Person, clock: MovableClock
) -> None:
    control_plan_id, _ = _plan_with_a_deviation(app, chef, clock())
    clock.advance(days=26)
    log_in(client, app, chef, clock())
    page = client.get(f"/internkontroll/{control_plan_id}")
    form = form_to(page.text, "/uppfoljning")
    made = client.post(form.action, data=form.data(), follow_redirects=False)
    draft_url = str(made.headers["location"])
    client.post("/logga-ut", data=form_to(page.text, "/logga-ut").data())
    log_in(client, app, board, clock())
    assert client.get(draft_url).status_code == 403
    page = client.get(f"/internkontroll/{control_plan_id}")
    assert "Ingen uppföljning är gjord ännu." in text_of(page.text)
    assert "Skapa utkast till uppföljning" not in page.text


def _sent_follow_up(app: App, chef: Person, control_plan_id: int, now: datetime) -> int:
    """The follow-up drafted, assessed, approved and queued to the nämnd, as the chef's pages
    do it: its report's id."""
    with app.transaction() as s:
        report = control_report.draft_control_report(
            s,
            app.registry,
            control_plan_id,
            as_of=date(2018, 2, 5),
            now=now,
            tz=app.tz,
            draft_days=3,
        )
        assert report.id is not None
        control_report.write_assessment(s, report.id, chef, ASSESSMENT, now=now)
        report_service.approve_report(s, app.registry, report.id, chef, now=now, tz=app.tz)
        report_service.send_report(s, app.registry, report.id, now=now, settings=app.settings)
        return report.id


def test_the_plan_s_page_calls_the_follow_up_sent_only_once_the_outbox_delivered_it(
    client: TestClient, app: App, chef: Person, clock: MovableClock, smtp_server: SmtpServer
) -> None:
    control_plan_id, _ = _plan_with_a_deviation(app, chef, clock())
    with app.transaction() as s:
        plan = s.get_one(Plan, s.get_one(ControlPlan, control_plan_id).plan_id)
        plan.board_recipients = "namnd@pitea.example, sekreterare@pitea.example"
        s.add(plan)
    clock.advance(days=26)
    _sent_follow_up(app, chef, control_plan_id, clock())
    log_in(client, app, chef, clock())
    title = "Uppföljning av internkontrollplan 2018, nr 1 (2018-02-05)"

    def listed() -> str:
        return text_of(client.get(f"/internkontroll/{control_plan_id}").text)

    assert f"{title} – Godkänd, i utkorgen" in listed()

    # One recipient's server refuses for good: not sent, whatever the workflow's state says.
    assert refuse_for_good(app, smtp_server, clock, "sekreterare@pitea.example").failed == 1
    assert f"{title} – Godkänd, utskicket misslyckades" in listed()

    # Sent again from the outbox and delivered: now it is sent.
    assert retry_and_deliver(app, smtp_server, clock, "sekreterare@pitea.example").sent == 1
    assert f"{title} – Skickad" in listed()


def test_next_years_draft_reports_last_years_deviation_still_open_at_new_year(
    client: TestClient, app: App, chef: Person, clock: MovableClock
) -> None:
    """The chef makes the 2019 plan from the 2018 one with the button on its page; the
    deviation found in January 2018 is not corrected at new year, so the 2019 follow-up's
    draft says so on its page and reports it in its document."""
    control_plan_id, _ = _plan_with_a_deviation(app, chef, clock())
    clock.now = datetime(2018, 12, 3, 9, tzinfo=UTC)
    log_in(client, app, chef, clock())
    page = client.get(f"/internkontroll/{control_plan_id}")
    copied = client.post(
        form_to(page.text, "/nasta-ar").action,
        data=form_to(page.text, "/nasta-ar").data(),
        follow_redirects=False,
    )
    assert copied.status_code == 303, copied.text
    next_plan_id = int(str(copied.headers["location"]).split("/")[2])
    assert next_plan_id != control_plan_id

    # The 2018 plan's own follow-up, drafted in January, has no such section and its draft
    # page no such line.
    clock.now = datetime(2019, 1, 15, 9, tzinfo=UTC)
    log_in(client, app, chef, clock())
    page = client.get(f"/internkontroll/{control_plan_id}")
    form = form_to(page.text, "/uppfoljning")
    made = client.post(form.action, data=form.data(), follow_redirects=False)
    draft = client.get(str(made.headers["location"]))
    assert "tidigare års" not in text_of(draft.text)
    document = text_of(client.get(href_to(draft.text, "/dokument.html")).text)
    assert "Avvikelser från tidigare år" not in document

    clock.now = datetime(2019, 5, 2, 9, tzinfo=UTC)
    log_in(client, app, chef, clock())
    page = client.get(f"/internkontroll/{next_plan_id}")
    form = form_to(page.text, "/uppfoljning")
    made = client.post(form.action, data=form.data(as_of="2019-05-02"), follow_redirects=False)
    assert made.status_code == 303, made.text
    draft = client.get(str(made.headers["location"]))
    assert (
        "Uppföljningen redovisar också 1 åtgärd efter avvikelser i tidigare års "
        "internkontrollplaner som inte var klar när 2019 började."
    ) in text_of(draft.text)
    document = text_of(client.get(href_to(draft.text, "/dokument.html")).text)
    for expected in ("Avvikelser från tidigare år", "Internkontrollplan 2018", DEVIATION):
        assert expected in document, expected
