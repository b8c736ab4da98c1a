"""The internkontroll pages: importing a nämnd's internkontrollplan from a file, the plan page
with its risk matrix as a picture and as a table, the numbered risks and each kontrollmoment
with its next date, a refused file with every problem by row and column, and who may do what."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import select

from tests.support.locks import held_lock
from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, log_in, text_of
from tests.web.test_owner_requests import serving
from tracker.app import App
from tracker.db import make_engine
from tracker.domain.workdays import WorkCalendar
from tracker.models import ControlPlan, ControlPoint, ControlRisk, Person, Plan, Role
from tracker.services import internal_control, people

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "internkontroll-skola.csv"
BOARD = "Barn- och utbildningsnämnden"


def upload(
    client: TestClient, data: bytes, filename: str = "internkontroll-skola.csv", year: str = "2018"
) -> Response:
    form = form_to(client.get("/internkontroll").text, "/internkontroll")
    return client.post(
        "/internkontroll",
        data={**form.data(), "namnd": BOARD, "ar": year},
        files={"fil": (filename, data, "text/csv")},
        follow_redirects=False,
    )


def test_a_chef_imports_the_example_and_sees_matrix_table_risks_and_next_dates(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    done = upload(client, EXAMPLE.read_bytes())
    assert done.status_code == 303, done.text
    page = str(done.headers["location"])
    shown = client.get(page)
    assert shown.status_code == 200
    html = shown.text
    text = text_of(html)
    assert "internkontroll-skola.csv är inläst som Internkontrollplan 2018" in text
    # The matrix inline, accessible, and the same facts as a table right after it.
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    assert '<title id="riskmatris-titel">Riskmatris: sannolikhet och konsekvens</title>' in html
    assert "<script" not in html and "style=" not in html
    assert html.index("</svg>") < html.index("Riskmatris: riskvärde (sannolikhet × konsekvens)")
    assert "Sannolikhet / konsekvens" in text
    assert "Riskerna i matrisen" in text

    with app.transaction() as s:
        plan = s.exec(select(ControlPlan)).one()
        assert plan.forvaltning == world.chef.forvaltning
        assert plan.id is not None
        view = internal_control.control_plan_view(
            s, plan.id, today=clock().date(), cal=WorkCalendar()
        )
    assert len(view.risks) == 10
    for risk in view.risks:
        assert f"Risk {risk.number}: {risk.name}" in text
        assert f"Riskvärde {risk.value} ({risk.band})" in text
        for point in risk.controls:
            assert point.text in text and point.method in text and point.frequency_text in text
            assert point.owner_name and point.owner_name in text
            assert point.next_on is not None and point.next_on.isoformat() in text
    assert any(r.controls for r in view.risks)
    # The list shows the plan with its counts.
    listed = text_of(client.get("/internkontroll").text)
    assert "Internkontrollplan 2018 – Barn- och utbildningsnämnden" in listed
    assert f'href="{page}"' in client.get("/internkontroll").text


def test_a_bad_file_is_refused_with_row_and_column_beside_the_file_field_and_nothing_stored(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    lines = EXAMPLE.read_text(encoding="utf-8-sig").splitlines()
    header, first = lines[0], lines[1].split(";")
    first[2] = "9"  # Sannolikhet beyond the scale
    bad = "\n".join([header, ";".join(first), *lines[2:]]).encode()
    refused = upload(client, bad, "fel.csv")
    assert refused.status_code == 422
    html = refused.text
    text = text_of(html)
    assert "fel.csv lästes inte in." in text and "Ingenting sparades" in text
    assert "Rad 2" in text and "Sannolikhet" in text
    assert 'aria-describedby="import-fel" aria-invalid="true"' in html
    # The other fields keep what was typed.
    assert f'value="{BOARD}"' in html
    with app.transaction() as s:
        assert s.exec(select(ControlPlan)).all() == []
        assert s.exec(select(ControlRisk)).all() == []
        assert s.exec(select(ControlPoint)).all() == []

    no_year = upload(client, EXAMPLE.read_bytes(), year="tjugo")
    assert no_year.status_code == 422
    assert 'id="import-ar"' in no_year.text
    assert "Året ska vara ett årtal" in text_of(no_year.text)
    with app.transaction() as s:
        assert s.exec(select(ControlPlan)).all() == []


def test_the_upload_form_lists_the_weekly_forms_and_refuses_a_running_control(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    form = text_of(client.get("/internkontroll").text)
    assert "varje vecka, varannan vecka, var fjärde vecka, månadsvis" in form
    lines = EXAMPLE.read_text(encoding="utf-8-sig").splitlines()
    header, first = lines[0], lines[1].split(";")
    first[header.split(";").index("Frekvens")] = "löpande"
    refused = upload(client, "\n".join([header, ";".join(first), *lines[2:]]).encode())
    assert refused.status_code == 422
    assert (
        "Rad 2, kolumn Frekvens: Frekvensen 'löpande' är inget schema: skriv hur ofta "
        "kontrollen görs, till exempel månadsvis eller varje vecka"
    ) in text_of(refused.text)
    with app.transaction() as s:
        assert s.exec(select(ControlPlan)).all() == []


def test_a_board_reader_reads_but_cannot_upload_and_another_chef_sees_nothing(
    client: TestClient, app: App, world: World, clock: MovableClock, board: Person, now: datetime
) -> None:
    with app.transaction() as s:
        result = internal_control.import_control_plan(
            s,
            app.registry,
            EXAMPLE.read_bytes(),
            EXAMPLE.name,
            namnd=BOARD,
            year=2018,
            forvaltning=world.chef.forvaltning,
            now=now,
        )
        other = people.ensure_person(
            s, "kultur@pitea.example", now=now, role=Role.chef, forvaltning="Kultur"
        )
    page = f"/internkontroll/{result.plan_id}"
    log_in(client, app, board, clock())
    listed = client.get("/internkontroll")
    assert f'href="{page}"' in listed.text
    assert 'action="/internkontroll"' not in listed.text
    assert client.get(page).status_code == 200
    csrf = form_to(listed.text, "/logga-ut").fields["csrf"]
    posted = client.post(
        "/internkontroll",
        data={"csrf": csrf, "namnd": "Annan nämnd", "ar": "2019"},
        files={"fil": ("internkontroll-skola.csv", EXAMPLE.read_bytes(), "text/csv")},
    )
    assert posted.status_code == 403
    log_in(client, app, other, clock())
    assert f'href="{page}"' not in client.get("/internkontroll").text
    assert client.get(page).status_code == 403
    with app.transaction() as s:
        assert len(s.exec(select(ControlPlan)).all()) == 1


def test_next_year_s_plan_is_made_from_this_one_and_its_risks_re_assessed(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    done = upload(client, EXAMPLE.read_bytes(), year="2018")
    this_year = str(done.headers["location"])
    page = client.get(this_year).text
    copied = client.post(
        f"{this_year}/nasta-ar",
        data=form_to(page, f"{this_year}/nasta-ar").data(),
        follow_redirects=False,
    )
    assert copied.status_code == 303
    risks_page = str(copied.headers["location"])
    assert risks_page.endswith("/risker")
    shown = client.get(risks_page)
    assert "Internkontrollplan 2019 – Barn- och utbildningsnämnden är gjord" in text_of(shown.text)
    with app.transaction() as s:
        old, new = s.exec(select(ControlPlan).order_by(ControlPlan.year)).all()
        old_risks = internal_control.control_plan_view(
            s, old.id or 0, today=clock().date(), cal=WorkCalendar()
        ).risks
        new_risks = internal_control.control_plan_view(
            s, new.id or 0, today=clock().date(), cal=WorkCalendar()
        ).risks
    assert new.year == 2019 and new.plan_id is not None and new.plan_id != old.plan_id
    assert [(r.name, r.likelihood, r.consequence) for r in new_risks] == [
        (r.name, r.likelihood, r.consequence) for r in old_risks
    ]
    assert [[c.text for c in r.controls] for r in new_risks] == [
        [c.text for c in r.controls] for r in old_risks
    ]

    # Risk 1 (2 × 4) is re-assessed as 1 × 4; the rest stay.
    form = form_to(shown.text, f"/internkontroll/{new.id}/risker")
    saved = client.post(
        f"/internkontroll/{new.id}/risker",
        data={**form.data(), "s_1": "1", "k_1": "4"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "1 risk har ny bedömning" in text_of(client.get(f"/internkontroll/{new.id}").text)
    # Off the scale: refused whole, with the reason, and nothing changes.
    refused = client.post(
        f"/internkontroll/{new.id}/risker",
        data={**form.data(), "s_1": "3", "s_2": "7"},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert "Risk 2, Kränkande behandling anmäls inte: Sannolikhet ska vara mellan 1 och 4" in (
        text_of(refused.text)
    )
    with app.transaction() as s:
        view = internal_control.control_plan_view(
            s, new.id or 0, today=clock().date(), cal=WorkCalendar()
        )
        kept = internal_control.control_plan_view(
            s, old.id or 0, today=clock().date(), cal=WorkCalendar()
        )
    assert (view.risks[0].likelihood, view.risks[0].value) == (1, 4)
    assert view.risks[1].likelihood == old_risks[1].likelihood
    assert kept.risks[0].likelihood == 2
    # A second copy for the same year is refused and says so.
    again = client.post(
        f"{this_year}/nasta-ar",
        data=form_to(page, f"{this_year}/nasta-ar").data(),
        follow_redirects=True,
    )
    assert "har redan en internkontrollplan för 2019" in text_of(again.text)


def test_last_year_s_plan_says_it_has_no_more_controls_that_year_not_this_year(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """In January, last year's plan has no more controls "under 2018"; "i år" would be the
    new year, whose controls are in next year's plan."""
    log_in(client, app, world.chef, clock())
    this_year = str(upload(client, EXAMPLE.read_bytes(), year="2018").headers["location"])
    clock.now = datetime(2019, 1, 15, 9, tzinfo=clock.now.tzinfo)
    log_in(client, app, world.chef, clock())
    text = text_of(client.get(this_year).text)
    assert "Inga fler i år" not in text
    assert text.count("Inga fler under 2018") == 9


def test_a_missed_control_is_late_on_the_chef_s_start_page(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """January's monthly control, not reported by its due day, counts as late on the start
    page in the internkontrollplan's own åtgärdsplan, and the late list names it."""
    from datetime import date

    from tests.support import builders as b
    from tracker.models import Action, Plan
    from tracker.services.reminders import send_reminders

    with app.transaction() as s:
        result = internal_control.import_control_plan(
            s,
            app.registry,
            EXAMPLE.read_bytes(),
            EXAMPLE.name,
            namnd=BOARD,
            year=2018,
            forvaltning=world.chef.forvaltning,
            now=b.at(date(2018, 1, 2)),
        )
        actions_plan = s.get(ControlPlan, result.plan_id)
        assert actions_plan is not None
        plan_id = actions_plan.plan_id
    send_reminders(app, now=b.at(date(2018, 1, 17)))
    clock.now = b.at(date(2018, 2, 5), 10)
    log_in(client, app, world.chef, clock())
    start = client.get("/start")
    assert start.status_code == 200
    with app.transaction() as s:
        plan = s.get_one(Plan, plan_id)
        control = s.exec(select(Action).where(Action.plan_id == plan_id)).one()
    late_link = f"/atgarder?plan={plan_id}&amp;urval=forsenade"
    assert plan.title in start.text
    assert re.search(re.escape(late_link) + r'" class="late-text">1<', start.text)
    listed = text_of(client.get(late_link.replace("&amp;", "&")).text)
    assert control.text in listed


def test_a_risk_assessment_with_digits_int_cannot_read_is_refused_and_changes_nothing(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    # "²" and "①" pass str.isdigit but not int(): refused as any other wrong choice.
    log_in(client, app, world.chef, clock())
    plan_page = str(upload(client, EXAMPLE.read_bytes()).headers["location"])
    risks = f"{plan_page}/risker"
    form = form_to(client.get(risks).text, risks)
    for sent, message in (
        ({"s_1": "²"}, "Risk 1: välj sannolikhet och konsekvens i listorna."),
        ({"k_1": "①"}, "Risk 1: välj sannolikhet och konsekvens i listorna."),
        ({"s_²": "2", "k_²": "2"}, "Formuläret är ofullständigt"),
    ):
        refused = client.post(risks, data={**form.data(), **sent}, follow_redirects=False)
        assert refused.status_code == 422, sent
        assert message in text_of(refused.text), sent
    with app.transaction() as s:
        first = s.exec(select(ControlRisk).order_by(ControlRisk.id)).first()
        assert first is not None and (first.likelihood, first.consequence) == (2, 4)


def test_a_risk_assessment_waiting_for_a_lock_holds_up_no_other_request(
    app: App, world: World, clock: MovableClock
) -> None:
    """The save waits for the database in a worker thread, as every change does: other
    requests are answered meanwhile, and it ends in the clear 503 (operations.md)."""
    with app.transaction() as s:
        plan_id = internal_control.import_control_plan(
            s,
            app.registry,
            EXAMPLE.read_bytes(),
            EXAMPLE.name,
            namnd=BOARD,
            year=2018,
            forvaltning=world.chef.forvaltning,
            now=clock(),
        ).plan_id
        first = s.exec(select(ControlRisk).where(ControlRisk.plan_id == plan_id)).first()
        assert first is not None and first.id is not None
        risk_id = first.id
    patient = replace(app, engine=make_engine(app.settings.database_url, lock_timeout_s=3))
    risks = f"/internkontroll/{plan_id}/risker"
    with serving(patient, clock) as base, httpx.Client(base_url=base, timeout=30) as browser:
        log_in(browser, app, world.chef, clock())  # type: ignore[arg-type]
        form = form_to(browser.get(risks).text, risks)
        answers: list[httpx.Response] = []
        with held_lock(app, "control_risk", risk_id), httpx.Client(base_url=base) as probe:
            post = threading.Thread(
                target=lambda: answers.append(browser.post(risks, data={**form.data(), "s_1": "1"}))
            )
            post.start()
            while post.is_alive():
                # Answered within a second all the while, never held up for the 3 s the save
                # waits.
                assert probe.get("/halsa", timeout=1.5).status_code == 200
            post.join()
        (refused,) = answers
        assert refused.status_code == 503
        assert "Det är fullt just nu" in text_of(refused.text)
    patient.engine.dispose()
    with app.transaction() as s:
        assert s.get_one(ControlRisk, risk_id).likelihood == 2


def test_a_chef_adds_a_risk_and_a_kontrollmoment_that_the_sweep_opens_like_an_imported_one(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    from datetime import date

    from tests.support import builders as b
    from tracker.models import Action, ControlOccurrence, PlanEvent
    from tracker.services.reminders import send_reminders

    log_in(client, app, world.chef, clock())
    plan_page = str(upload(client, EXAMPLE.read_bytes()).headers["location"])
    page = client.get(plan_page).text
    risk_form = form_to(page, f"{plan_page}/ny-risk")
    added = client.post(
        risk_form.action,
        data=risk_form.data(
            process="ekonomi",
            risk="Leverantörers bankkonton ändras utan kontroll",
            likelihood="3",
            consequence="2",
        ),
        follow_redirects=True,
    )
    assert added.status_code == 200, added.text
    text = text_of(added.text)
    assert (
        "Risken 'Leverantörers bankkonton ändras utan kontroll' är tillagd under Ekonomi." in text
    )
    assert "Riskvärde 6" in text
    with app.transaction() as s:
        risk = s.exec(
            select(ControlRisk).where(ControlRisk.name.startswith("Leverantörers"))  # type: ignore[attr-defined]
        ).one()
    point_action = f"{plan_page}/risker/{risk.id}/kontrollmoment"
    point_form = form_to(added.text, point_action)
    done = client.post(
        point_action,
        data=point_form.data(
            text="Stickprov på attesterade fakturor",
            method="Tio fakturor granskas",
            frequency="månadsvis",
            owner_email="ekonom@pitea.example",
            owner_name="Eva Ekonom",
        ),
        follow_redirects=True,
    )
    assert done.status_code == 200, done.text
    shown = text_of(done.text)
    assert "Kontrollmomentet 'Stickprov på attesterade fakturor' är tillagt." in shown
    assert "Eva Ekonom (ekonom@pitea.example) är nu ansvarig." in shown
    # Its next date as the import's own would have it: the end of the month, a working day.
    assert "2018-01-31" in shown
    with app.transaction() as s:
        point = s.exec(
            select(ControlPoint).where(ControlPoint.text == "Stickprov på attesterade fakturor")
        ).one()
        events = s.exec(select(PlanEvent).order_by(PlanEvent.id)).all()
    assert [e.field for e in events[-2:]] == ["control_risk", "control_point"]
    assert all(e.actor_id == world.chef.id for e in events[-2:])
    # The sweep opens January's control 14 days before the day, for its owner.
    send_reminders(app, now=b.at(date(2018, 1, 17)))
    with app.transaction() as s:
        occurrence = s.exec(
            select(ControlOccurrence).where(ControlOccurrence.point_id == point.id)
        ).one()
        control = s.get_one(Action, occurrence.action_id)
        owner = people.find_person(s, "ekonom@pitea.example")
    assert occurrence.due_on == date(2018, 1, 31)
    assert owner is not None and control.owner_id == owner.id
    assert control.text == "Stickprov på attesterade fakturor"


def test_a_refused_kontrollmoment_says_why_beside_its_box_and_keeps_what_was_typed(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    from tracker.domain.controls import parse_frequency

    log_in(client, app, world.chef, clock())
    plan_page = str(upload(client, EXAMPLE.read_bytes()).headers["location"])
    page = client.get(plan_page).text
    with app.transaction() as s:
        risk = s.exec(select(ControlRisk).order_by(ControlRisk.id)).first()
        assert risk is not None
        before = len(s.exec(select(ControlPoint)).all())
    action = f"{plan_page}/risker/{risk.id}/kontrollmoment"
    typed = {
        "text": "Rutinen för läkemedel följs",
        "method": "Genomgång av signeringslistor",
        "frequency": "vid behov",
        "owner_email": "sjukskoterska@pitea.example",
        "owner_name": "Sara Sjöström",
    }
    refused = client.post(action, data=form_to(page, action).data(**typed))
    assert refused.status_code == 422
    try:
        parse_frequency("vid behov")
    except ValueError as exc:
        import_message = str(exc)
    # The import's own message, beside the frequency box of this form and no other.
    form = f"nytt-kontrollmoment-{risk.id}"
    assert import_message in text_of(refused.text)
    assert f'<p class="alert" role="alert" id="{form}-fel">' in refused.text
    box = re.search(rf'<input id="{form}-frequency"[^>]*>', refused.text)
    assert box is not None and 'aria-invalid="true"' in box.group(0)
    assert f'aria-describedby="frekvens-hint {form}-fel"' in box.group(0)
    kept = form_to(refused.text, action)
    for key, value in typed.items():
        assert kept.fields[key] == value, key
    # A risk off the plan's scale is refused beside its box, likewise.
    risk_form = form_to(page, f"{plan_page}/ny-risk")
    off = client.post(
        risk_form.action,
        data=risk_form.data(process="Ekonomi", risk="Fel", likelihood="9", consequence="1"),
    )
    assert off.status_code == 422
    assert "Sannolikhet ska vara mellan 1 och 4, inte 9." in text_of(off.text)
    select_box = re.search(r'<select id="ny-risk-likelihood"[^>]*>', off.text)
    assert select_box is not None and 'aria-invalid="true"' in select_box.group(0)
    assert form_to(off.text, "/ny-risk").fields["process"] == "Ekonomi"
    with app.transaction() as s:
        assert len(s.exec(select(ControlPoint)).all()) == before
        assert people.find_person(s, "sjukskoterska@pitea.example") is None


def test_a_new_owner_of_a_kontrollmoment_gets_its_open_controls_and_is_told(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    from datetime import date

    from tests.support import builders as b
    from tracker.models import Action, ControlOccurrence, OutboxMessage
    from tracker.services.reminders import send_reminders

    log_in(client, app, world.chef, clock())
    plan_page = str(upload(client, EXAMPLE.read_bytes()).headers["location"])
    send_reminders(app, now=b.at(date(2018, 1, 17)))
    with app.transaction() as s:
        occurrence = s.exec(select(ControlOccurrence).order_by(ControlOccurrence.id)).first()
        assert occurrence is not None
        point = s.get_one(ControlPoint, occurrence.point_id)
    action = f"{plan_page}/kontrollmoment/{point.id}"
    form = form_to(client.get(plan_page).text, action)
    assert form.fields["frequency"] == point.frequency_text
    changed = client.post(
        action,
        data=form.data(method="Ny metod", owner_email="ny@pitea.example", owner_name="Ny Ägare"),
        follow_redirects=True,
    )
    assert changed.status_code == 200, changed.text
    assert "Kontrollmomentet är ändrat. 1 öppna kontroller går nu till Ny Ägare" in text_of(
        changed.text
    )
    with app.transaction() as s:
        new_owner = people.find_person(s, "ny@pitea.example")
        stored = s.get_one(ControlPoint, point.id)
        control = s.get_one(Action, occurrence.action_id)
        told = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.to_addr == "ny@pitea.example", OutboxMessage.kind == "tilldelning"
            )
        ).all()
    assert new_owner is not None
    assert (stored.method, stored.owner_id) == ("Ny metod", new_owner.id)
    assert control.owner_id == new_owner.id
    assert len(told) == 1


def test_the_plans_page_shows_its_changes_by_hand_with_who_when_and_from_what_to_what(
    client: TestClient, app: App, world: World, clock: MovableClock, board: Person
) -> None:
    log_in(client, app, world.chef, clock())
    plan_page = str(upload(client, EXAMPLE.read_bytes()).headers["location"])
    plan_id = int(plan_page.rsplit("/", 1)[1])
    assert "Planen är inte ändrad sedan den lästes in." in text_of(client.get(plan_page).text)
    form = form_to(client.get(f"{plan_page}/risker").text, f"{plan_page}/risker")
    saved = client.post(
        f"{plan_page}/risker", data={**form.data(), "s_1": "1", "k_1": "4"}, follow_redirects=False
    )
    assert saved.status_code == 303
    with app.transaction() as s:
        control_plan = s.get_one(ControlPlan, plan_id)
        point = internal_control.point_by_number(s, plan_id, 3, 1)
        # A change of the åtgärdsplan's own settings is not the internkontrollplan's.
        from tracker.services import plan_settings

        actions_plan = s.get_one(Plan, control_plan.plan_id)
        plan_settings.change_plan(s, actions_plan, {"dnr": "BUN 2018/1"}, now=clock(), actor=None)
    action = f"{plan_page}/kontrollmoment/{point.id}"
    form = form_to(client.get(plan_page).text, action)
    cleared = client.post(
        action, data=form.data(owner_email="", owner_name=""), follow_redirects=True
    )
    assert cleared.status_code == 200, cleared.text
    text = text_of(cleared.text)
    assert internal_control.NO_OWNER_NOTICE in text
    history = text[text.index("Ändringar i planen") :]
    assert "Dnr" not in history
    who = f"{world.chef.name} <{world.chef.email}>"
    assert history.count(who) == 2
    changed, reassessed = (
        history.index("Ändrat kontrollmoment: "),
        history.index("Ny bedömning av risk: "),
    )
    # Newest first.
    assert changed < reassessed
    assert (
        "'Risk 1: Betyg sätts inte enligt rutin, sannolikhet 2, konsekvens 4, riskvärde 8 "
        "(Hög)' → 'Risk 1: Betyg sätts inte enligt rutin, sannolikhet 1, konsekvens 4, "
        "riskvärde 4 (Medel)'"
    ) in history
    assert "Maria Öberg <maria.oberg@pitea.example>' → '" in history
    assert "mars och oktober, ingen ansvarig'" in history[changed:reassessed]
    with app.transaction() as s:
        assert s.get_one(ControlPoint, point.id).owner_id is None
    # The history is shown where the settings page shows it: to whoever may change the plan.
    log_in(client, app, board, clock())
    read = client.get(plan_page)
    assert read.status_code == 200
    assert "Ändringar i planen" not in read.text


def test_a_risk_or_kontrollmoment_of_another_plan_is_not_found_at_this_plans_address(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """An id that is not in the plan the address names answers 404 as any missing page
    does, not as a form to correct; nothing is stored in either plan."""
    log_in(client, app, world.chef, clock())
    this_year = str(upload(client, EXAMPLE.read_bytes(), year="2018").headers["location"])
    next_year = str(upload(client, EXAMPLE.read_bytes(), year="2019").headers["location"])
    assert this_year != next_year
    this_id = int(this_year.rsplit("/", 1)[1])
    with app.transaction() as s:
        risk = s.exec(
            select(ControlRisk).where(ControlRisk.plan_id == this_id).order_by(ControlRisk.id)
        ).first()
        assert risk is not None
        point = s.exec(select(ControlPoint).where(ControlPoint.risk_id == risk.id)).first()
        assert point is not None
        before = [(p.id, p.method, p.owner_id) for p in s.exec(select(ControlPoint)).all()]
    page = client.get(next_year).text
    [some_risk_form] = [
        a for a in re.findall(r'action="([^"]*/kontrollmoment)"', page) if "/risker/" in a
    ][:1]
    added = client.post(
        f"{next_year}/risker/{risk.id}/kontrollmoment",
        data=form_to(page, some_risk_form).data(
            text="Rutinen följs", frequency="årligen", owner_email="ny@pitea.example"
        ),
    )
    assert added.status_code == 404
    assert f"Internkontrollplanen har ingen risk med nummer {risk.id}." in text_of(added.text)
    [some_point_form] = re.findall(r'action="([^"]*/kontrollmoment/[0-9]+)"', page)[:1]
    changed = client.post(
        f"{next_year}/kontrollmoment/{point.id}",
        data=form_to(page, some_point_form).data(method="Ny metod"),
    )
    assert changed.status_code == 404
    assert f"Internkontrollplanen har inget kontrollmoment med nummer {point.id}." in text_of(
        changed.text
    )
    with app.transaction() as s:
        after = [(p.id, p.method, p.owner_id) for p in s.exec(select(ControlPoint)).all()]
        assert people.find_person(s, "ny@pitea.example") is None
    assert after == before
