"""The chef's start page shows each plan's next återrapport with the dates worked back from
the nämnd's meeting, and, once owners were asked to update, who has not."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.support import builders as b
from tests.web.helpers import MovableClock, log_in, text_of
from tracker.app import App
from tracker.domain.meetings import MeetingRow
from tracker.models import Person
from tracker.services import actions, meetings, reports

BUN = "Barn- och utbildningsnämnden"


def test_the_start_page_shows_the_next_deadlines_and_who_has_not_updated(
    app: App, chef: Person, clock: MovableClock, client: TestClient
) -> None:
    clock.now = b.at(date(2018, 4, 2))
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=clock())
    bo = b.person(app, "bo.lind@pitea.example", "Bo Lind", now=clock())
    plan, area = b.plan(app, now=clock(), chef=chef, namnd=BUN, report_months="6,12")
    quiet = b.action(app, area, "Ta fram rutin", now=clock(), owner=anna)
    busy = b.action(app, area, "Utbilda rektorer", now=clock(), owner=bo)
    with app.transaction() as s:
        rows = [
            MeetingRow(board=BUN, held_on=date(2018, 6, 14), uid="juni"),
            MeetingRow(board=BUN, held_on=date(2018, 12, 12), uid="december"),
        ]
        meetings.import_meetings(s, rows, lead_days=21, now=clock())
    log_in(client, app, chef, clock())

    page = text_of(client.get("/start").text)
    assert "Kommande återrapporter" in page
    assert (
        f"Åtgärdsplan för ekonomi i balans {BUN} 2018-06-14 2018-05-18 2018-05-21 2018-05-24 "
        "Uppmaning 2018-05-04"
    ) in page

    # After the call: Bo wrote his processläge, Anna did not.
    clock.now = b.at(date(2018, 5, 10))
    assert busy.id is not None and quiet.id is not None and plan.id is not None
    with app.transaction() as s:
        actions.note_progress(s, busy.id, bo, "Pågår enligt plan.", now=clock())
    log_in(client, app, chef, clock())
    page = text_of(client.get("/start").text)
    assert f"1 åtgärd [{quiet.id}] Ta fram rutin – Anna Berg" in page
    assert "Bo Lind" not in page.split("Kommande återrapporter", 1)[1].split("Åtgärdsplan", 2)[1]

    # Past its day to approve by and not issued, the June report is still the one to
    # prepare, the most urgent, and says so: the sweep drafts it for the June meeting.
    clock.now = b.at(date(2018, 6, 1))
    log_in(client, app, chef, clock())
    page = text_of(client.get("/start").text)
    assert f"{BUN} 2018-06-14 2018-05-18 2018-05-21 2018-05-24 (för 8 dagar sedan)" in page
    assert f"{BUN} 2018-12-12" not in page

    # Once it is approved, the next one (December) is shown.
    with app.transaction() as s:
        report = reports.draft_report(
            s, app.registry, plan.id, as_of=clock().date(), now=clock(), tz=app.tz, draft_days=14
        )
        reports.approve_report(s, app.registry, report.id, chef, now=clock(), tz=app.tz)
    page = text_of(client.get("/start").text)
    assert f"{BUN} 2018-12-12" in page
    assert "2018-06-14" not in page


def test_a_draft_shows_per_open_atgard_whether_it_was_updated_for_the_report(
    app: App, chef: Person, clock: MovableClock, client: TestClient
) -> None:
    clock.now = b.at(date(2018, 4, 2))
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=clock())
    plan, area = b.plan(app, now=clock(), chef=chef, namnd=BUN, report_months="6")
    quiet = b.action(app, area, "Ta fram rutin", now=clock(), owner=anna)
    busy = b.action(app, area, "Utbilda rektorer", now=clock(), owner=anna)
    b.action(app, area, "Redan klar", now=clock(), owner=anna, state="klar")
    assert plan.id is not None and busy.id is not None and quiet.id is not None
    with app.transaction() as s:
        rows = [MeetingRow(board=BUN, held_on=date(2018, 6, 14), uid="juni")]
        meetings.import_meetings(s, rows, lead_days=21, now=clock())
        actions.note_progress(s, busy.id, anna, "Före uppmaningen.", now=b.at(date(2018, 4, 3)))
    with app.transaction() as s:
        actions.note_progress(s, busy.id, anna, "Pågår enligt plan.", now=b.at(date(2018, 5, 9)))
    clock.now = b.at(date(2018, 5, 21))
    with app.transaction() as s:
        draft = reports.draft_report(
            s, app.registry, plan.id, as_of=date(2018, 5, 21), now=clock(), tz=app.tz, draft_days=14
        )
    log_in(client, app, chef, clock())
    page = text_of(client.get(f"/aterrapporter/{draft.id}").text)
    assert (
        f"Återrapporten går till {BUN} 2018-06-14 och ska godkännas senast 2018-05-24. "
        "De ansvariga ombads 2018-05-04 att uppdatera processläget senast 2018-05-18. "
        "1 av 2 öppna åtgärder är inte uppdaterade."
    ) in page
    assert f"[{quiet.id}] Ta fram rutin Pågår Nej" in page
    assert f"[{busy.id}] Utbilda rektorer Pågår Ja, 2018-05-09" in page
    assert "Redan klar Klar" not in page


def test_a_draft_of_atgarder_and_beslut_names_both_where_it_counts_who_updated(
    app: App, chef: Person, clock: MovableClock, client: TestClient
) -> None:
    """A plan that holds a nämnd's decision beside its åtgärder counts them as "öppna
    åtgärder och beslut" and heads the column "Åtgärd / beslut"."""
    clock.now = b.at(date(2018, 4, 2))
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=clock())
    plan, area = b.plan(app, now=clock(), chef=chef, namnd=BUN, report_months="6")
    b.action(app, area, "Ta fram rutin", now=clock(), owner=anna)
    decided = b.action(
        app,
        area,
        "Besked om lokalerna",
        now=clock(),
        owner=anna,
        state="tilldelad",
        workflow="protokoll",
    )
    assert plan.id is not None and decided.id is not None
    with app.transaction() as s:
        rows = [MeetingRow(board=BUN, held_on=date(2018, 6, 14), uid="juni")]
        meetings.import_meetings(s, rows, lead_days=21, now=clock())
        actions.note_progress(s, decided.id, anna, "Besked i maj.", now=b.at(date(2018, 5, 9)))
    clock.now = b.at(date(2018, 5, 21))
    with app.transaction() as s:
        draft = reports.draft_report(
            s, app.registry, plan.id, as_of=date(2018, 5, 21), now=clock(), tz=app.tz, draft_days=14
        )
    log_in(client, app, chef, clock())
    html = client.get(f"/aterrapporter/{draft.id}").text
    page = text_of(html)
    assert "1 av 2 öppna åtgärder och beslut är inte uppdaterade." in page
    assert "Åtgärd / beslut Läge Uppdaterat" in page
    assert f"[{decided.id}] Besked om lokalerna Tilldelad Ja, 2018-05-09" in page


def test_a_draft_past_its_approval_day_says_how_many_days_ago_it_passed(
    app: App, chef: Person, clock: MovableClock, client: TestClient
) -> None:
    clock.now = b.at(date(2018, 4, 2))
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=clock())
    plan, area = b.plan(app, now=clock(), chef=chef, namnd=BUN, report_months="6")
    b.action(app, area, "Ta fram rutin", now=clock(), owner=anna)
    assert plan.id is not None
    with app.transaction() as s:
        rows = [MeetingRow(board=BUN, held_on=date(2018, 6, 14), uid="juni")]
        meetings.import_meetings(s, rows, lead_days=21, now=clock())
    clock.now = b.at(date(2018, 5, 21))
    with app.transaction() as s:
        draft = reports.draft_report(
            s, app.registry, plan.id, as_of=date(2018, 5, 21), now=clock(), tz=app.tz, draft_days=14
        )

    # On the day itself it is not yet late.
    clock.now = b.at(date(2018, 5, 24))
    log_in(client, app, chef, clock())
    page = client.get(f"/aterrapporter/{draft.id}").text
    assert f"{BUN} 2018-06-14 och ska godkännas senast 2018-05-24." in text_of(page)
    assert "sedan" not in text_of(page)

    # The page counts from the request's time: 19 days after the day to approve by.
    clock.now = b.at(date(2018, 6, 12))
    log_in(client, app, chef, clock())
    page = client.get(f"/aterrapporter/{draft.id}").text
    assert (
        f"{BUN} 2018-06-14 och skulle ha godkänts senast 2018-05-24, dvs. för 19 dagar sedan"
    ) in text_of(page)
    assert '<strong class="late-text">dvs. för 19 dagar sedan</strong>' in page


def test_the_plan_settings_page_lists_the_coming_reports_at_the_namnds_meetings(
    app: App, chef: Person, clock: MovableClock, client: TestClient
) -> None:
    clock.now = b.at(date(2018, 4, 2))
    plan, _ = b.plan(app, now=clock(), chef=chef, namnd=BUN, report_months="6,12")
    with app.transaction() as s:
        rows = [
            MeetingRow(board=BUN, held_on=date(2018, 6, 14), uid="juni", cancelled=True),
            MeetingRow(board=BUN, held_on=date(2018, 6, 27), uid="juni-2"),
            MeetingRow(board=BUN, held_on=date(2018, 12, 12), uid="december"),
        ]
        meetings.import_meetings(s, rows, lead_days=21, now=clock())
    log_in(client, app, chef, clock())
    page = text_of(client.get(f"/planer/{plan.id}/installningar").text)
    assert (
        f"{BUN} 2018-06-27 (sammanträdet 2018-06-14 är inställt): de ansvariga uppdaterar "
        "senast 2018-05-30, utkastet görs 2018-05-31, godkänns senast 2018-06-05."
    ) in page
    assert f"{BUN} 2018-12-12: de ansvariga uppdaterar senast 2018-11-15" in page
    # Past its day to approve by, the June report is listed until its meeting, and late.
    clock.now = b.at(date(2018, 6, 7))
    log_in(client, app, chef, clock())
    page = text_of(client.get(f"/planer/{plan.id}/installningar").text)
    assert "godkänns senast 2018-06-05 (för 2 dagar sedan)" in page
