"""The owner's pages behind a signed link: what GET shows, what POST changes, and every way a
link or a form can be wrong (each of which must change nothing)."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from tests.web.conftest import World
from tests.web.helpers import (
    Form,
    MovableClock,
    form_to,
    forms,
    log_in,
    owner_path,
    path_of,
    reason_beside,
    text_of,
)
from tracker.app import App
from tracker.links import LinkPurpose, LinkSigner
from tracker.models import Action, ActionEvent, OutboxMessage, Person, Role
from tracker.services import actions, plans
from tracker.services.access import revoke_links
from tracker.web.links import signer_for

Snapshot = tuple[list[tuple[int, str, int, str]], int, int]


def snapshot(app: App) -> Snapshot:
    """Everything a POST could change: each action's state/version/note, events, outbox."""
    with app.transaction() as s:
        rows = [
            (a.id or 0, a.state, a.version, a.progress_note)
            for a in s.exec(select(Action).order_by(col(Action.id)))
        ]
        events = len(s.exec(select(ActionEvent)).all())
        outbox = len(s.exec(select(OutboxMessage)).all())
    return rows, events, outbox


def action(app: App, action_id: int) -> Action:
    with app.transaction() as s:
        found = s.get(Action, action_id)
        assert found is not None
        return found


def events_of(app: App, action_id: int) -> list[ActionEvent]:
    with app.transaction() as s:
        return actions.history(s, action_id)


def unsaved_of(html: str) -> list[str]:
    """The read-only boxes a refusal shows what was typed in, to copy."""
    boxes = re.findall(r"<textarea[^>]*\breadonly\b[^>]*>(.*?)</textarea>", html, re.DOTALL)
    return [unescape(box) for box in boxes]


# --- GET shows, never changes ------------------------------------------------------------


def test_owner_page_shows_own_actions_with_state_tidsplan_and_buttons(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    before = snapshot(app)
    page = client.get(owner_path(app, world.anna, clock()))
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Ta fram rutin för handläggning" in words
    assert "Stickprov varje kvartal" in words
    assert "Ej påbörjat" in words
    assert "Klart till mars 2018. Utvärderas oktober 2018." in words
    assert "På rätt spår" in words
    form = form_to(page.text, f"/atgard/{world.a1}")
    assert form.fields["version"] == "1"
    assert ("trigger", "starta", "Starta") in form.buttons
    assert ("trigger", "", "Spara processläge") in form.buttons
    # Only the transitions the owner may fire from this state.
    assert not any(v in ("slutfor", "utvardera") for _, v, _ in form.buttons)
    assert "Nytt processläge" in form.labels
    assert snapshot(app) == before
    assert "set-cookie" not in page.headers  # an owner page needs no cookie
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"


def test_get_many_times_changes_nothing_as_a_mail_scanner_would(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    before = snapshot(app)
    path = owner_path(app, world.anna, clock(), action_id=world.a1)
    for _ in range(3):
        assert client.get(path).status_code == 200
        assert client.head(path).status_code in (200, 405)
    assert snapshot(app) == before


def test_overdue_action_says_forsenad_plainly(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    clock.advance(days=60)  # past a1's due date (2018-03-31 is 80 days away; b1's is 49)
    page = client.get(owner_path(app, world.bo, clock()))
    assert "Försenad" in text_of(page.text)
    page = client.get(owner_path(app, world.anna, clock()))
    assert "Försenad" not in text_of(page.text)


def test_transition_that_needs_a_text_asks_its_question(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        actions.move(s, app.registry, world.a1, "starta", world.anna, now=clock())
    page = client.get(owner_path(app, world.anna, clock()))
    slutfor = [
        f for f in forms(page.text) if f.fields.get("trigger") == "slutfor" and "/1" in f.action
    ]
    assert slutfor, "a form of its own for Slutför"
    assert slutfor[0].labels == ["Slutför: Vad har gjorts?"]


# --- POST changes through the workflow, with a receipt ----------------------------------


def add_control(app: App, world: World, clock: MovableClock) -> int:
    """A kontroll of the internkontrollplan for Anna, to report through her link."""
    with app.transaction() as s:
        area = plans.ensure_area(s, plans.get_plan(s, world.plan_id), "Kontroller")
        control = plans.add_action(
            s,
            app.registry,
            area,
            now=clock(),
            workflow="kontroll",
            owner=world.anna,
            text="Kontroll av delegationsbeslut",
        )
        assert control.id is not None
        return control.id


def report_form(html: str, control_id: int) -> Form:
    return next(
        f
        for f in forms(html)
        if f"/atgard/{control_id}" in f.action and f.fields.get("trigger") == "genomfor"
    )


def test_a_deviation_described_under_utan_anmarkning_is_refused_and_kept(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    control_id = add_control(app, world, clock)
    form = report_form(client.get(owner_path(app, world.anna, clock())).text, control_id)
    before = snapshot(app)
    typed = {
        "svar_resultat": "Utan anmärkning",
        "svar_avvikelse": "Två beslut anmäldes inte.",
        "svar_urval": "Alla beslut i mars",
        "svar_metod": "Genomläsning",
    }
    refused = client.post(form.action, data=form.data(**typed))
    assert refused.status_code == 422
    assert (
        "Du har fyllt i 'Beskriv avvikelsen' men valt 'Utan anmärkning': välj 'Avvikelse', "
        "eller töm rutan." in text_of(refused.text)
    )
    # Everything typed is back in its box, the choice too.
    again = report_form(refused.text, control_id)
    assert again.fields["svar_avvikelse"] == "Två beslut anmäldes inte."
    assert again.fields["svar_urval"] == "Alla beslut i mars"
    assert 'value="Utan anmärkning" required checked' in refused.text
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("typed", "box", "reason"),
    [
        (
            {"svar_resultat": "Utan anmärkning", "svar_avvikelse": "Två beslut anmäldes inte."},
            "avvikelse",
            "Du har fyllt i 'Beskriv avvikelsen' men valt 'Utan anmärkning': välj 'Avvikelse', "
            "eller töm rutan.",
        ),
        (
            {"svar_resultat": "Avvikelse", "svar_avvikelse": " "},
            "avvikelse",
            "Rapportera kontrollen kräver ett svar på 'Beskriv avvikelsen'.",
        ),
        (
            {"svar_resultat": "Utan anmärkning", "svar_urval": ""},
            "urval",
            "Rapportera kontrollen kräver ett svar på 'Urval: vad och hur många som "
            "kontrollerades'.",
        ),
        (
            {"svar_resultat": "Kanske"},
            "resultat",
            "'Resultat' ska vara 'Utan anmärkning' eller 'Avvikelse'.",
        ),
    ],
    ids=["described-without-deviation", "deviation-undescribed", "urval-missing", "no-choice"],
)
def test_a_refused_control_report_says_why_beside_the_box_it_is_about(
    client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    typed: dict[str, str],
    box: str,
    reason: str,
) -> None:
    control_id = add_control(app, world, clock)
    form = report_form(client.get(owner_path(app, world.anna, clock())).text, control_id)
    before = snapshot(app)
    sent = {"svar_urval": "Alla beslut i mars", "svar_metod": "Genomläsning"} | typed
    refused = client.post(form.action, data=form.data(**sent))
    assert refused.status_code == 422
    html = refused.text
    box_id = f"svar-{control_id}-genomfor-{box}"
    opening = "<legend>Resultat</legend>" if box == "resultat" else f'<label for="{box_id}"'
    assert reason_beside(html, box_id, opening) == reason
    # Said there, not instead at the top of the card, where the form's answer lands.
    [alert] = re.findall(r'<p class="alert" role="alert">(.*?)</p>', html, re.DOTALL)
    assert reason not in text_of(alert)
    assert "Ingenting sparades" in text_of(alert)
    # Everything typed is kept, without a script.
    again = report_form(html, control_id)
    for name, value in sent.items():
        if name != "svar_resultat":
            assert again.fields.get(name, "") == value, name
    assert f'value="{sent["svar_resultat"]}" required checked' in html or box == "resultat"
    assert snapshot(app) == before


def test_owner_starts_action_with_a_note_and_gets_a_receipt(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    page = client.get(owner_path(app, world.anna, clock()))
    form = form_to(page.text, f"/atgard/{world.a1}")
    clock.advance(hours=2)
    done = client.post(
        form.action, data=form.data(trigger="starta", text="Arbetet har börjat enligt plan.")
    )
    assert done.status_code == 200
    words = text_of(done.text)
    assert "Sparat" in words
    assert "Ej påbörjat → Pågår" in words
    assert "Arbetet har börjat enligt plan." in words
    a1 = action(app, world.a1)
    assert (a1.state, a1.version, a1.progress_note) == (
        "pagar",
        2,
        "Arbetet har börjat enligt plan.",
    )
    assert a1.progress_at == clock()
    last = events_of(app, world.a1)[-1]
    assert (last.trigger, last.from_state, last.to_state) == ("starta", "ej_paborjat", "pagar")
    assert last.actor_id == world.anna.id
    assert last.at == clock()


def test_owner_adds_a_progress_note_without_changing_state(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    page = client.get(owner_path(app, world.anna, clock()))
    form = form_to(page.text, f"/atgard/{world.a1}")
    note = "Pågår enligt tidsplan. Rutinen är skickad på remiss."
    done = client.post(form.action, data=form.data(trigger="", text=note))
    assert done.status_code == 200
    assert "Processläge" in text_of(done.text)
    a1 = action(app, world.a1)
    assert (a1.state, a1.progress_note) == ("ej_paborjat", note)
    last = events_of(app, world.a1)[-1]
    assert (last.trigger, last.text) == ("processlage", note)
    # The next GET shows the new processläge.
    assert note in text_of(client.get(owner_path(app, world.anna, clock())).text)


def test_empty_note_is_refused_and_nothing_changes(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    before = snapshot(app)
    done = client.post(form.action, data=form.data(trigger="", text="   "))
    assert done.status_code == 422
    assert "Skriv processläget innan du sparar." in text_of(done.text)
    assert snapshot(app) == before


def test_transition_without_its_required_text_is_refused_in_swedish(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        actions.move(s, app.registry, world.a1, "starta", world.anna, now=clock())
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    before = snapshot(app)
    done = client.post(form.action, data=form.data(trigger="slutfor", text=""))
    assert done.status_code == 422
    assert "Slutför kräver en text: Vad har gjorts?" in text_of(done.text)
    assert snapshot(app) == before


def test_owner_cannot_fire_a_chef_transition_even_when_also_a_chef(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        anna = s.get(Person, world.anna.id)
        assert anna is not None
        anna.role = Role.chef.value  # a chef in the plan's förvaltning ("" = all)
        s.add(anna)
        actions.move(s, app.registry, world.a1, "starta", anna, now=clock())
        actions.move(s, app.registry, world.a1, "slutfor", anna, now=clock(), text="Klart")
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    assert not any(v in ("utvardera", "ateroppna") for _, v, _ in form.buttons)
    before = snapshot(app)
    done = client.post(form.action, data=form.data(trigger="utvardera", text="Bra resultat"))
    assert done.status_code == 422
    assert "Bara chef får välja 'Utvärdera'." in text_of(done.text)
    assert snapshot(app) == before


def test_unknown_or_impossible_trigger_is_refused(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    before = snapshot(app)
    done = client.post(form.action, data=form.data(trigger="radera", text="x"))
    assert done.status_code == 422
    assert "Okänd händelse 'radera'" in text_of(done.text)
    done = client.post(form.action, data=form.data(trigger="slutfor", text="Klart"))
    assert done.status_code == 422
    assert "'Slutför' går inte när åtgärden är 'Ej påbörjat'" in text_of(done.text)
    assert snapshot(app) == before


def test_stale_form_gets_a_conflict_and_no_update_is_lost(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    path = owner_path(app, world.anna, clock())
    form = form_to(client.get(path).text, f"/atgard/{world.a1}")
    # Meanwhile the chef writes a processläge.
    with app.transaction() as s:
        actions.note_progress(s, world.a1, world.chef, "Chefens anteckning", now=clock())
    before = snapshot(app)
    mine = "Min text som inte får försvinna"
    done = client.post(form.action, data=form.data(trigger="starta", text=mine))
    assert done.status_code == 409
    words = text_of(done.text)
    assert "Åtgärden har ändrats sedan du öppnade sidan" in words
    assert "Chefens anteckning" in words  # the page shows what is there now
    assert snapshot(app) == before
    # The typed text is kept, in a fresh form with the current version.
    fresh = form_to(done.text, f"/atgard/{world.a1}")
    assert fresh.fields["text"] == mine
    assert fresh.fields["version"] == "2"
    again = client.post(fresh.action, data=fresh.data(trigger="starta"))
    assert again.status_code == 200
    assert [e.text for e in events_of(app, world.a1)][-2:] == ["Chefens anteckning", mine]


def test_two_posts_from_one_form_cannot_both_win(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    first = client.post(form.action, data=form.data(text="Första"))
    second = client.post(form.action, data=form.data(text="Andra"))
    assert (first.status_code, second.status_code) == (200, 409)
    assert action(app, world.a1).progress_note == "Första"


def test_the_same_form_sent_twice_is_saved_once_and_both_answers_are_its_receipt(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """A double tap on a slow phone, or reloading the receipt, sends the form again: the
    browser shows the last answer, which must not say that nothing was saved (she would
    write it again) when her change is there."""
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    sent = form.data(trigger="starta", text="Rad ett\r\nRad två 😀 ")
    first = client.post(form.action, data=sent)
    clock.advance(minutes=1)
    second = client.post(form.action, data=sent)
    assert (first.status_code, second.status_code) == (200, 200)
    words = text_of(second.text)
    assert "Ingenting sparades" not in words
    assert "Ej påbörjat → Pågår" in words
    assert [e.trigger for e in events_of(app, world.a1)] == ["skapad", "starta"]
    assert action(app, world.a1).version == 2
    # A note sent twice likewise; a different text from the same form still conflicts.
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    note = form.data(trigger="", text="Remissen är ute.")
    assert client.post(form.action, data=note).status_code == 200
    assert client.post(form.action, data=note).status_code == 200
    assert client.post(form.action, data=form.data(trigger="", text="Annat")).status_code == 409
    assert [e.text for e in events_of(app, world.a1)].count("Remissen är ute.") == 1


def test_post_without_a_version_is_refused(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    before = snapshot(app)
    data = form.data(text="Utan version")
    del data["version"]
    assert client.post(form.action, data=data).status_code == 400
    assert client.post(form.action, data={**data, "version": "två"}).status_code == 400
    assert snapshot(app) == before


# --- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["", "0" * 64, "from-other-link"])
def test_post_without_the_links_csrf_token_changes_nothing(
    client: TestClient, app: App, world: World, clock: MovableClock, token: str
) -> None:
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    if token == "from-other-link":
        other = client.get(owner_path(app, world.bo, clock())).text
        token = form_to(other, f"/atgard/{world.b1}").fields["csrf"]
    before = snapshot(app)
    done = client.post(form.action, data=form.data(csrf=token, trigger="starta", text="x"))
    assert done.status_code == 403
    assert "Formuläret kunde inte kontrolleras" in text_of(done.text)
    assert snapshot(app) == before


def test_a_form_that_cannot_be_checked_keeps_the_text_in_its_box(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    done = client.post(form.action, data=form.data(csrf="0" * 64, text="Pågår enligt plan."))
    assert done.status_code == 403
    assert "det du skrev finns kvar i rutan" in text_of(done.text)
    again = form_to(done.text, f"/atgard/{world.a1}")
    assert again.fields["text"] == "Pågår enligt plan."
    assert client.post(again.action, data=again.data()).status_code == 200
    assert action(app, world.a1).progress_note == "Pågår enligt plan."


# --- tampered, expired, revoked links ----------------------------------------------------


def _b64(data: dict[str, int]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _tampered(app: App, world: World, clock: MovableClock) -> dict[str, str]:
    """Each part of a good token changed in turn."""
    good = owner_path(app, world.anna, clock()).rsplit("/", 1)[1]
    payload, signature = good.split(".")
    t = int(clock().timestamp())
    flip = {"A": "B"}.get(signature[5], "A")
    return {
        "payload for another person": f"{_b64({'p': world.bo.id or 0, 't': t})}.{signature}",
        "payload scoped to an action": f"{_b64({'p': world.anna.id or 0, 't': t, 'a': world.b1})}"
        f".{signature}",
        "payload issued later": f"{_b64({'p': world.anna.id or 0, 't': t + 3600})}.{signature}",
        "one character of the signature": f"{payload}.{signature[:5]}{flip}{signature[6:]}",
        "signature cut short": f"{payload}.{signature[:-2]}",
        "signature removed": payload,
        "extra part": f"{good}.x",
        "garbage": "not-a-token",
        "signed with another key": LinkSigner(
            "an-other-secret-" + "y" * 40, timedelta(days=30)
        ).sign(LinkPurpose.owner, world.anna.id or 0, now=clock()),
        "a log-in link used as an owner link": signer_for(app.settings).sign(
            LinkPurpose.login, world.anna.id or 0, now=clock()
        ),
    }


def test_every_tampered_part_of_a_token_is_refused_and_changes_nothing(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    good_form = form_to(
        client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}"
    )
    before = snapshot(app)
    for what, token in _tampered(app, world, clock).items():
        page = client.get(f"/ansvarig/{token}")
        assert page.status_code == 403, what
        assert "Länken fungerar inte" in text_of(page.text), what
        assert "Länken är ogiltig." in text_of(page.text), what
        ask = form_to(page.text, "/lank/ny")
        assert "email" in ask.fields, what
        for target in (world.a1, world.b1):
            post = client.post(
                f"/ansvarig/{token}/atgard/{target}",
                data=good_form.data(trigger="starta", text="Manipulerad"),
            )
            assert post.status_code == 403, what
            assert "Länken fungerar inte" in text_of(post.text), what
    assert snapshot(app) == before


def test_link_works_until_it_expires_then_asks_for_a_new_one(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    path = owner_path(app, world.anna, clock())
    form = form_to(client.get(path).text, f"/atgard/{world.a1}")
    clock.advance(days=30)
    assert client.get(path).status_code == 200  # exactly 30 days: still valid
    clock.advance(seconds=1)
    before = snapshot(app)
    page = client.get(path)
    assert page.status_code == 403
    assert "Länken har gått ut." in text_of(page.text)
    assert form_to(page.text, "/lank/ny")
    post = client.post(form.action, data=form.data(trigger="starta", text="För sent"))
    assert post.status_code == 403
    # Not saved through a link that no longer works, but shown to copy.
    assert "Det du skrev sparades inte" in text_of(post.text)
    assert unsaved_of(post.text) == ["För sent"]
    assert snapshot(app) == before


def test_expiry_follows_the_configured_number_of_days(
    app: App, world: World, clock: MovableClock
) -> None:
    from tracker.web.main import create_app

    short = app.settings.model_copy(update={"link_max_age_days": 2})
    web = create_app(App(settings=short, engine=app.engine, registry=app.registry), clock=clock)
    with TestClient(web) as c:
        path = owner_path(app, world.anna, clock())
        assert c.get(path).status_code == 200
        clock.advance(days=2, seconds=1)
        assert "Länken har gått ut." in text_of(c.get(path).text)


def test_revoked_link_changes_nothing_and_a_new_link_works(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    old = owner_path(app, world.anna, clock())
    form = form_to(client.get(old).text, f"/atgard/{world.a1}")
    clock.advance(minutes=5)
    with app.transaction() as s:
        anna = s.get(Person, world.anna.id)
        assert anna is not None
        revoke_links(s, anna, now=clock())
    before = snapshot(app)
    page = client.get(old)
    assert page.status_code == 403
    assert "Länken har återkallats." in text_of(page.text)
    note = "Rutinen är klar för <remiss> & granskning.\nAndra stycket."
    post = client.post(form.action, data=form.data(trigger="starta", text=note))
    assert post.status_code == 403
    assert unsaved_of(post.text) == [note]
    assert snapshot(app) == before
    # A link made in the same second as the revocation works.
    with app.transaction() as s:
        anna = s.get(Person, world.anna.id)
        assert anna is not None
    new = owner_path(app, anna, clock())
    assert client.get(new).status_code == 200


# --- owner A can never reach owner B -----------------------------------------------------


def test_owner_page_never_shows_another_owners_actions(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    words = text_of(client.get(owner_path(app, world.anna, clock())).text)
    assert "Utbilda handläggarna" not in words
    words = text_of(client.get(owner_path(app, world.bo, clock())).text)
    assert "Utbilda handläggarna" in words
    assert "Ta fram rutin" not in words


def test_owner_a_cannot_change_owner_bs_action_whatever_the_ids(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    anna_path = owner_path(app, world.anna, clock())
    form = form_to(client.get(anna_path).text, f"/atgard/{world.a1}")
    before = snapshot(app)
    for target in (world.b1, 999_999, 0, -1):
        done = client.post(
            f"{anna_path}/atgard/{target}",
            data=form.data(trigger="starta", text="Annas försök", version="1"),
        )
        assert done.status_code in (404, 422), target
        assert "Utbilda handläggarna" not in text_of(done.text)
    # Extra form fields naming another person or action are ignored.
    done = client.post(
        f"{anna_path}/atgard/{world.b1}",
        data=form.data(text="x", person_id=str(world.bo.id), action_id=str(world.b1)),
    )
    assert done.status_code == 404
    # Never Anna's: not said to have another owner, which would say that it exists.
    assert "Den åtgärden finns inte bland dina åtgärder." in text_of(done.text)
    assert "annan ansvarig" not in text_of(done.text)
    assert unsaved_of(done.text) == ["x"]
    assert snapshot(app) == before


def test_a_link_for_one_action_reaches_only_that_action(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    path = owner_path(app, world.anna, clock(), action_id=world.a1)
    page = client.get(path)
    words = text_of(page.text)
    assert "Ta fram rutin för handläggning" in words
    assert "Stickprov varje kvartal" not in words  # Anna's, but not this link's
    form = form_to(page.text, f"/atgard/{world.a1}")
    before = snapshot(app)
    other = client.post(f"{path}/atgard/{world.a2}", data=form.data(text="Fel åtgärd"))
    assert other.status_code == 404
    assert snapshot(app) == before
    assert client.post(form.action, data=form.data(text="Rätt åtgärd")).status_code == 200


def test_after_reassignment_the_old_owners_link_no_longer_reaches_the_action(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    path = owner_path(app, world.anna, clock(), action_id=world.a1)
    form = form_to(client.get(path).text, f"/atgard/{world.a1}")
    with app.transaction() as s:
        bo = s.get(Person, world.bo.id)
        assert bo is not None
        actions.assign(s, world.a1, bo, now=clock())
    page = client.get(path)
    assert "har inte dig som ansvarig längre" in text_of(page.text)
    before = snapshot(app)
    done = client.post(form.action, data=form.data(text="Gammal länk", version="2"))
    assert done.status_code == 404
    assert snapshot(app) == before


@pytest.mark.parametrize("scoped", [True, False])
def test_a_reassigned_action_says_so_without_naming_the_new_owner_and_keeps_the_text(
    client: TestClient, app: App, world: World, clock: MovableClock, scoped: bool
) -> None:
    path = owner_path(app, world.anna, clock(), action_id=world.a1 if scoped else None)
    form = form_to(client.get(path).text, f"/atgard/{world.a1}")
    with app.transaction() as s:
        bo = s.get(Person, world.bo.id)
        assert bo is not None
        actions.assign(s, world.a1, bo, now=clock())
    before = snapshot(app)
    done = client.post(form.action, data=form.data(text="Annas processläge"))
    assert done.status_code == 404
    words = text_of(done.text)
    assert "Åtgärden har fått en annan ansvarig, så det du skrev sparades inte." in words
    assert "Bo Lind" not in words and "bo.lind" not in words
    assert unsaved_of(done.text) == ["Annas processläge"]
    assert snapshot(app) == before


# --- asking for a new link -----------------------------------------------------------------


def _ask(client: TestClient, email: str) -> str:
    page = client.get("/ansvarig/ogiltig")
    form = form_to(page.text, "/lank/ny")
    done = client.post(form.action, data=form.data(email=email))
    assert done.status_code == 200
    return text_of(done.text).replace(email, "ADRESS")


def test_asking_for_a_new_link_answers_the_same_for_known_and_unknown_addresses(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    before = snapshot(app)
    unknown = _ask(client, "okand@pitea.example")
    assert snapshot(app) == before
    known = _ask(client, "Anna.Berg@pitea.example")
    assert known == unknown
    with app.transaction() as s:
        queued = s.exec(select(OutboxMessage)).all()
    assert [(m.to_addr, m.kind) for m in queued] == [("anna.berg@pitea.example", "lank")]
    message = queued[0]
    assert "http://testserver/ansvarig/" in message.body_text
    assert 'href="http://testserver/ansvarig/' in message.body_html
    assert "<" not in message.body_text.replace("<anna", "")  # the text part is not HTML
    link = next(w for w in message.body_text.split() if w.startswith("http://testserver/"))
    assert "Ta fram rutin" in text_of(client.get(path_of(link)).text)


def test_asking_for_a_new_link_needs_the_forms_csrf_token(
    client: TestClient, app: App, world: World
) -> None:
    before = snapshot(app)
    done = client.post("/lank/ny", data={"email": "anna.berg@pitea.example", "csrf": "x"})
    assert done.status_code == 403
    assert snapshot(app) == before


@pytest.mark.parametrize("page", ["/lank/ny", "/logga-in"])
def test_a_malformed_address_is_pointed_out_beside_its_box(
    client: TestClient, world: World, page: str
) -> None:
    form = form_to(client.get(page).text, page)
    done = client.post(form.action, data=form.data(email="anna.berg"))
    assert done.status_code == 422
    assert "Skriv en giltig e-postadress" in text_of(done.text)
    # The reason is tied to the box, so a screen reader says it there; what was typed stays.
    box = re.search(r"<input id=\"email\"[^>]*>", done.text)
    assert box is not None
    assert 'aria-invalid="true"' in box.group() and 'value="anna.berg"' in box.group()
    reason = re.search(r'aria-describedby="([^"]+)"', box.group())
    assert reason is not None
    assert re.search(rf'id="{reason.group(1)}"[^>]*>Skriv en giltig e-postadress', done.text)


def test_a_kontroll_and_a_decision_are_named_by_their_kind_on_their_pages(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    control_id = add_control(app, world, clock)
    with app.transaction() as s:
        decision = plans.add_action(
            s,
            app.registry,
            plans.ensure_area(s, plans.get_plan(s, world.plan_id), "Beslut"),
            now=clock(),
            workflow="protokoll",
            owner=world.anna,
            text="Besked om lokalerna",
        )
    single = client.get(owner_path(app, world.anna, clock(), action_id=control_id)).text
    assert "<h1>Din kontroll</h1>" in single
    # Anna's link opens her åtgärder, the kontroll and the decision together.
    form = report_form(client.get(owner_path(app, world.anna, clock())).text, control_id)
    assert (
        "<h1>Dina åtgärder, kontroller och beslut</h1>"
        in client.get(owner_path(app, world.anna, clock())).text
    )
    receipt = client.post(
        form.action,
        data=form.data(
            svar_resultat="Utan anmärkning", svar_urval="Tio beslut", svar_metod="Genomläsning"
        ),
    )
    assert receipt.status_code == 200
    shown = text_of(receipt.text)
    assert "Kontroll Kontroll av delegationsbeslut" in shown
    assert "Tillbaka till sidan med dina åtgärder, kontroller och beslut" in shown
    log_in(client, app, world.chef, clock())
    assert "<h1>Kontroll " + str(control_id) + "</h1>" in client.get(f"/atgarder/{control_id}").text
    assert f"<h1>Beslut {decision.id}</h1>" in client.get(f"/atgarder/{decision.id}").text
    assert f"<h1>Åtgärd {world.a1}</h1>" in client.get(f"/atgarder/{world.a1}").text
    # The plan that holds them counts each kind by its own word.
    assert "<p>3 åtgärder, 1 kontroll och 1 beslut" in client.get(f"/planer/{world.plan_id}").text


DEVIATION = {
    "svar_resultat": "Avvikelse",
    "svar_avvikelse": "Två delegationsbeslut anmäldes inte till nämnden.",
    "svar_urval": "Alla beslut i mars",
    "svar_metod": "Listorna mot protokollen",
}


@pytest.mark.parametrize("single", [False, True])
def test_the_receipt_of_a_deviation_tells_the_owner_of_the_atgard_it_opened_for_her(
    client: TestClient, app: App, world: World, clock: MovableClock, single: bool
) -> None:
    control_id = add_control(app, world, clock)
    page = owner_path(app, world.anna, clock(), action_id=control_id if single else None)
    form = report_form(client.get(page).text, control_id)
    receipt = client.post(form.action, data=form.data(**DEVIATION))
    assert receipt.status_code == 200
    with app.transaction() as s:
        opened = s.exec(select(Action).where(Action.opened_from_id == control_id)).one()
    assert opened.owner_id == world.anna.id and opened.due_on is not None
    shown = text_of(receipt.text)
    assert (
        f"Avvikelsen öppnade en åtgärd med dig som ansvarig, klart till "
        f"{opened.due_on.isoformat()}: {DEVIATION['svar_avvikelse']}"
    ) in shown
    if single:
        assert "Den här länken gäller bara kontrollen, så åtgärden syns inte på dess sida." in shown
    else:
        assert f'#atgard-{opened.id}">Gå till åtgärden</a>' in receipt.text


def test_the_receipt_of_a_control_without_deviation_tells_of_no_new_atgard(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    control_id = add_control(app, world, clock)
    form = report_form(client.get(owner_path(app, world.anna, clock())).text, control_id)
    receipt = client.post(
        form.action,
        data=form.data(svar_resultat="Utan anmärkning", svar_urval="Tio", svar_metod="Läsning"),
    )
    assert receipt.status_code == 200
    assert "öppnade en åtgärd" not in text_of(receipt.text)
