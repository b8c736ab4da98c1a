"""Decisions from a protokoll: a chef uploads a ledningsgrupp's minutes, reviews the drafted
decisions (owner, text, date, kept or dropped, merged) and confirms; only then, and only once,
do the kept ones become åtgärder in the protokoll workflow under the body's plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tests.test_minutes import SHOWN, raw_pdf
from tests.web.helpers import form_to, log_in, text_of
from tracker.app import App
from tracker.domain.protokoll import Draft, item_label
from tracker.models import Action, OutboxMessage, Person, Plan, Protokoll, Role
from tracker.services import actions, people
from tracker.services import protokoll as protokoll_service
from tracker.services.dispatch import send_outbox

MINUTES = Path(__file__).resolve().parents[1] / "data" / "minutes"
HELSINGBORG = MINUTES / "helsingborg-ledningsgrupp-2021-02-09-ocr.txt"


@dataclass
class Lg:
    """The ledningsgrupp's people, known to the product in the chef's förvaltning."""

    tony: Person
    maria: Person
    matz: Person


@pytest.fixture
def lg(app: App, now: datetime, chef: Person) -> Lg:
    with app.transaction() as s:
        found = [
            people.ensure_person(s, email, now=now, name=name, forvaltning=chef.forvaltning)
            for name, email in (
                ("Tony Mufic", "tony.mufic@helsingborg.example"),
                ("Maria Boman Hansson", "maria.boman.hansson@helsingborg.example"),
                ("Matz Ingvarsson", "matz.ingvarsson@helsingborg.example"),
            )
        ]
    return Lg(*found)


def _upload(client: TestClient) -> tuple[int, str]:
    """The chef uploads the Helsingborg minutes: the review page's protokoll id and HTML."""
    page = client.get("/protokoll")
    assert page.status_code == 200
    form = form_to(page.text, "/protokoll")
    done = client.post(
        "/protokoll",
        data=form.data(body="Ledningsgruppen", meeting_on="2021-02-09"),
        files={"file": (HELSINGBORG.name, HELSINGBORG.read_bytes(), "text/plain")},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    location = done.headers["location"]
    review = client.get(location)
    assert review.status_code == 200
    return int(location.rsplit("/", 1)[1]), review.text


def _drafts(app: App, protokoll_id: int) -> list[Draft]:
    with app.transaction() as s:
        return protokoll_service.drafts_of(s.get(Protokoll, protokoll_id))  # type: ignore[arg-type]


def _review_form(html: str, protokoll_id: int, drafts: list[Draft]) -> dict[str, object]:
    """What the review form sends as the page shows it: every draft kept, nothing merged."""
    hidden = form_to(html, f"/protokoll/{protokoll_id}").fields
    return {
        "csrf": hidden["csrf"],
        "version": hidden["version"],
        "count": str(len(drafts)),
        "what": [d.what for d in drafts],
        "owner": [str(d.owner_id) if d.owner_id else "" for d in drafts],
        "due_on": [d.due_on.isoformat() if d.due_on else "" for d in drafts],
        "reports_to": [d.reports_to for d in drafts],
        "keep": [str(i) for i, d in enumerate(drafts) if d.keep],
    }


def _actions(app: App) -> list[Action]:
    with app.transaction() as s:
        found = list(s.exec(select(Action).order_by(col(Action.id))))
        for a in found:
            s.expunge(a)
        return found


def test_an_uploaded_protokoll_shows_its_drafts_with_quotes_and_creates_nothing(
    client: TestClient, app: App, now: datetime, chef: Person, lg: Lg
) -> None:
    log_in(client, app, chef, now)
    protokoll_id, html = _upload(client)
    drafts = _drafts(app, protokoll_id)
    assert len(drafts) >= 2
    page = text_of(html)
    for i, d in enumerate(drafts):
        assert f"Beslut {i + 1}" in page
        assert " ".join(d.quote.split()) in page
        if d.item:
            assert item_label(d.item) in page
    # A name the product knows is preselected; a name it does not is flagged.
    matched = [d for d in drafts if d.owner_id is not None]
    assert matched and {d.owner_id for d in matched} <= {lg.tony.id, lg.maria.id, lg.matz.id}
    for d in matched:
        assert f'<option value="{d.owner_id}" selected>' in html
    unknown = [d for d in drafts if d.owner_id is None and d.who]
    assert unknown
    assert f"Protokollet: ”{unknown[0].who}” – okänd – välj ansvarig." in page
    # Nothing is created before the chef confirms, and a reload shows the same drafts.
    assert _actions(app) == []
    with app.transaction() as s:
        assert s.exec(select(Plan)).all() == []
        row = s.get(Protokoll, protokoll_id)
        assert row is not None
        assert (row.body, row.meeting_on, row.filename) == (
            "Ledningsgruppen",
            date(2021, 2, 9),
            HELSINGBORG.name,
        )
        assert row.title == "Ledningsgruppen 2021-02-09" and row.confirmed_at is None
    assert text_of(client.get(f"/protokoll/{protokoll_id}").text).count("Beslut ") >= len(drafts)
    listing = text_of(client.get("/protokoll").text)
    assert "Ledningsgruppen 2021-02-09" in listing and "Att granska" in listing


def test_confirming_creates_exactly_the_kept_drafts_once_linked_to_the_protokoll(
    client: TestClient, app: App, now: datetime, chef: Person, lg: Lg
) -> None:
    log_in(client, app, chef, now)
    protokoll_id, html = _upload(client)
    drafts = _drafts(app, protokoll_id)
    data = _review_form(html, protokoll_id, drafts)
    # Keep the first two; give the first to Maria with a new text and date, the second to
    # Matz (whatever the minutes named); drop the rest.
    what, owner, due_on = list(data["what"]), list(data["owner"]), list(data["due_on"])  # type: ignore[call-overload]
    what[0] = "Lägg in handlingsplanen för statsbidraget på nästa FSG"
    owner[0], owner[1] = str(lg.maria.id), str(lg.matz.id)
    due_on[0] = "2021-03-01"
    data |= {"what": what, "owner": owner, "due_on": due_on, "keep": ["0", "1"], "do": "bekrafta"}
    done = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    page = text_of(client.get(done.headers["location"]).text)
    assert "Planen Ledningsgruppen 2021 har fått 2 beslut ur protokollet." in page

    created = _actions(app)
    assert len(created) == 2
    with app.transaction() as s:
        plan = s.exec(select(Plan)).one()
        assert (plan.title, plan.forvaltning, plan.chef_id) == (
            "Ledningsgruppen 2021",
            chef.forvaltning,
            chef.id,
        )
        mails = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "tilldelning")).all()
        assert {m.to_addr for m in mails} == {lg.maria.email, lg.matz.email}
    for action, draft, person in zip(created, drafts[:2], (lg.maria, lg.matz), strict=True):
        assert (action.workflow, action.state, action.plan_id) == (
            "protokoll",
            "tilldelad",
            plan.id,
        )
        assert action.owner_id == person.id
        assert action.protokoll_id == protokoll_id
        assert action.protokoll_item == (draft.item or None)
        assert action.protokoll_quote == draft.quote
    assert created[0].text == "Lägg in handlingsplanen för statsbidraget på nästa FSG"
    assert created[0].due_on == date(2021, 3, 1)
    assert created[1].text == drafts[1].what

    # The åtgärd's page says where it came from, with the decision's words.
    shown = text_of(client.get(f"/atgarder/{created[0].id}").text)
    line = "Från protokoll Ledningsgruppen 2021-02-09"
    if drafts[0].item:
        line += f", {item_label(drafts[0].item)}"
    assert line in shown
    assert " ".join(drafts[0].quote.split()) in shown

    # The same confirmation again creates nothing.
    again = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert again.status_code == 303
    assert "redan bekräftade; inga nya åtgärder skapades" in text_of(
        client.get(again.headers["location"]).text
    )
    assert len(_actions(app)) == 2
    with app.transaction() as s:
        assert len(s.exec(select(OutboxMessage)).all()) == len(mails)


def test_the_confirmed_protokoll_follows_each_beslut_with_its_owner_and_state(
    client: TestClient, app: App, now: datetime, chef: Person, lg: Lg
) -> None:
    """After confirming, the secretary is told, in the protokoll's own word, what became of
    the decisions and who gets a mail; the protokoll's page then follows each beslut: its
    owner, date and state, so a beslut reported back is seen there."""
    log_in(client, app, chef, now)
    protokoll_id, html = _upload(client)
    drafts = _drafts(app, protokoll_id)
    data = _review_form(html, protokoll_id, drafts)
    owner, due_on = list(data["owner"]), list(data["due_on"])  # type: ignore[call-overload]
    owner[0], owner[1] = str(lg.maria.id), str(lg.matz.id)
    due_on[1] = "2021-03-15"
    data |= {"owner": owner, "due_on": due_on, "keep": ["0", "1"], "do": "bekrafta"}
    done = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    page = text_of(client.get(done.headers["location"]).text)
    assert "Planen Ledningsgruppen 2021 har fått 2 beslut ur protokollet." in page
    assert (
        "Maria Boman Hansson och Matz Ingvarsson får var sitt e-postmeddelande med sin länk."
        in page
    )
    assert "åtgärder är skapade" not in page

    first, _second = _actions(app)
    with app.transaction() as s:
        actions.move(
            s, app.registry, first.id or 0, "aterrapportera", lg.maria, now=now,
            text="Besked lämnat till FSG",
        )  # fmt: skip
    page = text_of(client.get(f"/protokoll/{protokoll_id}").text)
    assert "Åtgärder ur protokollet" not in page
    assert "Beslut ur protokollet Beslut Ansvarig Klart till Läge" in page
    assert f"{first.text}" in page
    assert "Maria Boman Hansson – Återrapporterad" in page
    assert "Matz Ingvarsson 2021-03-15 Tilldelad" in page


def test_a_decision_s_owner_is_told_its_protokoll_its_buttons_and_whom_to_ask(
    client: TestClient, app: App, now: datetime, chef: Person, lg: Lg, smtp_server: SmtpServer
) -> None:
    log_in(client, app, chef, now)
    protokoll_id, html = _upload(client)
    drafts = _drafts(app, protokoll_id)
    data = _review_form(html, protokoll_id, drafts)
    owner = list(data["owner"])  # type: ignore[call-overload]
    owner[0] = str(lg.maria.id)
    data |= {"owner": owner, "keep": ["0"], "do": "bekrafta"}
    done = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    wait = timedelta(minutes=app.settings.assignment_mail_minutes)
    assert send_outbox(b.with_smtp(app, smtp_server.port), now=now + wait).sent == 1

    [received] = smtp_server.messages()
    text, html_part = received.get_body(("plain",)), received.get_body(("html",))
    assert text is not None and html_part is not None
    for body in (str(text.get_content()), text_of(str(html_part.get_content()))):
        source = "Från protokoll Ledningsgruppen 2021-02-09"
        if drafts[0].item:
            source += f", {item_label(drafts[0].item)}"
        assert source in body
        # The protokoll workflow's own button for its owner, not the åtgärd workflow's.
        assert "(till exempel ”Återrapportera”)" in body
        assert "Starta" not in body and "Slutför" not in body
        assert f"fråga {chef.name} ({chef.email}), som gav dig det" in " ".join(body.split())
        assert "bortse från det" not in body


def test_an_unknown_person_must_be_chosen_or_the_draft_dropped(
    client: TestClient, app: App, now: datetime, chef: Person, lg: Lg
) -> None:
    log_in(client, app, chef, now)
    protokoll_id, html = _upload(client)
    drafts = _drafts(app, protokoll_id)
    unknown = next(i for i, d in enumerate(drafts) if d.owner_id is None and d.who)
    data = _review_form(html, protokoll_id, drafts) | {"do": "bekrafta"}
    refused = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert refused.status_code == 422
    first_unknown = next(i for i, d in enumerate(drafts) if d.owner_id is None)
    assert f"Beslut {first_unknown + 1}: okänd ansvarig" in text_of(refused.text)
    assert "välj ansvarig i listan, eller ta inte med beslutet" in text_of(refused.text)
    # The refusal is tied to the select it is about.
    select_tag = refused.text.split(f'id="owner-{first_unknown}"')[1].split(">")[0]
    assert "review-error" in select_tag and 'aria-invalid="true"' in select_tag
    assert _actions(app) == []

    # Dropping every draft without an owner, and choosing Tony for the one named, confirms
    # (from the refused page, whose form is at the version the refusal saved).
    owner = list(data["owner"])  # type: ignore[call-overload]
    owner[unknown] = str(lg.tony.id)
    keep = [str(i) for i, d in enumerate(drafts) if d.owner_id is not None or i == unknown]
    version = form_to(refused.text, f"/protokoll/{protokoll_id}").fields["version"]
    data |= {"owner": owner, "keep": keep, "version": version}
    done = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    created = _actions(app)
    assert len(created) == len(keep)
    assert lg.tony.id in {a.owner_id for a in created}


def _field_tag(html: str, field_id: str) -> str:
    return html.split(f'id="{field_id}"')[1].split(">")[0]


def _fieldset(html: str, i: int) -> str:
    return html.split(f'id="beslut-{i}"')[1].split("</fieldset>")[0]


def test_an_owner_not_yet_registered_is_given_by_name_and_address_on_the_review_page(
    client: TestClient, app: App, now: datetime, chef: Person
) -> None:
    # Nobody in the minutes is known yet: the list offers none of them.
    log_in(client, app, chef, now)
    protokoll_id, html = _upload(client)
    drafts = _drafts(app, protokoll_id)
    assert all(d.owner_id is None for d in drafts[:2])
    assert 'id="owner_name-0" name="owner_name"' in html
    assert 'id="owner_email-0" name="owner_email" type="email"' in html
    assert '<label for="owner_email-0">' in html
    data = _review_form(html, protokoll_id, drafts)
    what = list(data["what"])  # type: ignore[call-overload]
    what[0] = "Tony stämmer av frågan med skolorna"
    names = ["Tony", "Maria", *([""] * (len(drafts) - 2))]
    emails = ["tony.mufic@helsingborg.example", "maria@", *([""] * (len(drafts) - 2))]
    data |= {
        "what": what,
        "owner_name": names,
        "owner_email": emails,
        "keep": ["0", "1"],
        "do": "bekrafta",
    }

    # A bad address is refused beside its box, with everything typed kept and nothing made.
    refused = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert refused.status_code == 422
    beside = _fieldset(refused.text, 1)
    assert 'role="alert" id="review-error">Beslut 2: Ogiltig e-postadress' in beside
    tag = _field_tag(refused.text, "owner_email-1")
    assert 'value="maria@"' in tag and 'aria-invalid="true"' in tag and "review-error" in tag
    assert 'value="Maria"' in _field_tag(refused.text, "owner_name-1")
    assert 'value="Tony"' in _field_tag(refused.text, "owner_name-0")
    assert 'value="tony.mufic@helsingborg.example"' in _field_tag(refused.text, "owner_email-0")
    assert _textarea(refused.text, 0) == "Tony stämmer av frågan med skolorna"
    assert _actions(app) == []
    with app.transaction() as s:
        assert people.find_person(s, "tony.mufic@helsingborg.example") is None

    # A person both chosen in the list and typed is refused at the address too.
    both = dict(data)
    both["owner"] = [str(chef.id), *list(data["owner"])[1:]]  # type: ignore[call-overload]
    both["owner_email"] = ["tony.mufic@helsingborg.example", "maria.boman@helsingborg.example"]
    both["owner_email"] += [""] * (len(drafts) - 2)
    twice = client.post(f"/protokoll/{protokoll_id}", data=both, follow_redirects=False)
    assert twice.status_code == 422
    assert "Beslut 1: Välj en person i listan eller skriv en ny e-postadress, inte båda." in (
        text_of(_fieldset(twice.text, 0))
    )

    # With the address put right, both become people of the förvaltning and own their åtgärd.
    emails[1] = "maria.boman@helsingborg.example"
    data["owner_email"] = emails
    done = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    created = _actions(app)
    assert len(created) == 2
    with app.transaction() as s:
        tony = people.get_person(s, "tony.mufic@helsingborg.example")
        maria = people.get_person(s, "maria.boman@helsingborg.example")
        assert (tony.name, tony.forvaltning) == ("Tony", chef.forvaltning)
        assert (maria.name, maria.forvaltning) == ("Maria", chef.forvaltning)
        mails = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "tilldelning")).all()
        assert {m.to_addr for m in mails} == {tony.email, maria.email}
    assert [a.owner_id for a in created] == [tony.id, maria.id]
    assert created[0].text == "Tony stämmer av frågan med skolorna"


def test_a_typed_address_of_a_known_person_keeps_their_name_and_says_so(
    client: TestClient, app: App, now: datetime, chef: Person, lg: Lg
) -> None:
    log_in(client, app, chef, now)
    protokoll_id, html = _upload(client)
    drafts = _drafts(app, protokoll_id)
    unknown = next(i for i, d in enumerate(drafts) if d.owner_id is None)
    data = _review_form(html, protokoll_id, drafts)
    names, emails = [""] * len(drafts), [""] * len(drafts)
    names[unknown], emails[unknown] = "Matz", "MATZ.ingvarsson@helsingborg.example"
    data |= {"owner_name": names, "owner_email": emails, "do": "spara"}
    saved = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert _drafts(app, protokoll_id)[unknown].owner_id == lg.matz.id
    page = client.get(f"/protokoll/{protokoll_id}").text
    assert "Namnet Matz som skrevs in användes inte" in text_of(page)
    assert f'<option value="{lg.matz.id}" selected>' in page.split(f'id="owner-{unknown}"')[1]
    with app.transaction() as s:
        assert s.get_one(Person, lg.matz.id).name == "Matz Ingvarsson"


def test_a_refused_create_keeps_what_was_typed_saved_as_the_drafts(
    client: TestClient, app: App, now: datetime, chef: Person, lg: Lg
) -> None:
    log_in(client, app, chef, now)
    protokoll_id, html = _upload(client)
    drafts = _drafts(app, protokoll_id)
    unknown = next(i for i, d in enumerate(drafts) if d.owner_id is None)
    named = next(i for i, d in enumerate(drafts) if d.owner_id is not None)
    data = _review_form(html, protokoll_id, drafts)
    what = list(data["what"])  # type: ignore[call-overload]
    what[named] = "Ändrad text som inte får gå förlorad"
    names, emails = [""] * len(drafts), [""] * len(drafts)
    names[named], emails[named] = "Ny Person", "ny.person@helsingborg.example"
    owner = list(data["owner"])  # type: ignore[call-overload]
    owner[named] = ""
    data |= {
        "what": what,
        "owner": owner,
        "owner_name": names,
        "owner_email": emails,
        "do": "bekrafta",
    }
    # Every draft kept, one of them with nobody to own it: creating is refused.
    refused = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert refused.status_code == 422
    page = text_of(refused.text)
    assert f"Beslut {unknown + 1}: okänd ansvarig" in page
    assert "Det du skrev är sparat som utkast. Inga åtgärder är skapade." in page
    assert _textarea(refused.text, named) == "Ändrad text som inte får gå förlorad"
    assert _actions(app) == []
    # What was typed is saved: it is there when she comes back, the new owner chosen.
    with app.transaction() as s:
        new = people.get_person(s, "ny.person@helsingborg.example")
        row = s.get_one(Protokoll, protokoll_id)
        assert row.confirmed_at is None and row.plan_id is None
        assert s.exec(select(Plan)).all() == []
    saved = _drafts(app, protokoll_id)
    assert saved[named].what == "Ändrad text som inte får gå förlorad"
    assert saved[named].owner_id == new.id
    again = client.get(f"/protokoll/{protokoll_id}").text
    assert _textarea(again, named) == "Ändrad text som inte får gå förlorad"
    assert f'<option value="{new.id}" selected>' in again.split(f'id="owner-{named}"')[1]
    # The refused page's form is at the saved version: dropping the unowned creates from it.
    fixed = _review_form(refused.text, protokoll_id, saved)
    keep = [str(i) for i, d in enumerate(saved) if d.owner_id is not None]
    done = client.post(f"/protokoll/{protokoll_id}", data=fixed | {"keep": keep, "do": "bekrafta"})
    assert done.status_code == 200, done.text
    assert f"har fått {len(keep)} beslut ur protokollet" in text_of(done.text)
    assert new.id in {a.owner_id for a in _actions(app)}


def test_merging_and_editing_drafts_is_kept_across_a_reload_before_confirming(
    client: TestClient, app: App, now: datetime, chef: Person, lg: Lg
) -> None:
    log_in(client, app, chef, now)
    protokoll_id, html = _upload(client)
    drafts = _drafts(app, protokoll_id)
    data = _review_form(html, protokoll_id, drafts)
    what = list(data["what"])  # type: ignore[call-overload]
    what[0] = "Ändrad text för det första beslutet"
    data |= {"what": what, "merge": ["1"], "do": "bekrafta"}
    merged = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert merged.status_code == 303, merged.text
    # A merge is shown before anything is confirmed, even from the confirm button.
    assert _actions(app) == []
    page = client.get(f"/protokoll/{protokoll_id}")
    assert "1 beslut är sammanslaget med föregående" in text_of(page.text)
    after = _drafts(app, protokoll_id)
    assert len(after) == len(drafts) - 1
    assert after[0].what == f"Ändrad text för det första beslutet {drafts[1].what}"
    assert drafts[0].quote in after[0].quote and drafts[1].quote in after[0].quote
    assert after[1:] == drafts[2:]
    # Saving an edit (a dropped draft) keeps it on the page after a reload.
    data = _review_form(page.text, protokoll_id, after)
    data |= {"keep": [str(i) for i in range(1, len(after))], "do": "spara"}
    saved = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert saved.status_code == 303
    reloaded = client.get(f"/protokoll/{protokoll_id}").text
    assert 'id="keep-0" name="keep" value="0">' in reloaded
    assert 'id="keep-1" name="keep" value="1" checked>' in reloaded
    assert _actions(app) == []


def test_a_file_that_is_no_protokoll_is_refused_at_its_field(
    client: TestClient, app: App, now: datetime, chef: Person
) -> None:
    log_in(client, app, chef, now)
    form = form_to(client.get("/protokoll").text, "/protokoll")
    done = client.post(
        "/protokoll",
        data=form.data(body="Ledningsgruppen", meeting_on="2021-02-09"),
        files={"file": ("plan.xlsx", b"PK\x03\x04", "application/octet-stream")},
    )
    assert done.status_code == 422
    assert "plan.xlsx: välj en fil av typen .txt, .docx eller .pdf." in text_of(done.text)
    assert 'id="file" name="file"' in done.text and 'aria-invalid="true"' in done.text
    missing = client.post("/protokoll", data=form.data(body="", meeting_on="2021-02-09"))
    assert missing.status_code == 422
    assert "Skriv vilket organ som sammanträdde" in text_of(missing.text)
    with app.transaction() as s:
        assert s.exec(select(Protokoll)).all() == []


def test_a_broken_pdf_is_refused_at_its_field_and_nothing_is_saved(
    client: TestClient, app: App, now: datetime, chef: Person
) -> None:
    log_in(client, app, chef, now)
    form = form_to(client.get("/protokoll").text, "/protokoll")
    broken = raw_pdf(SHOWN, filter_name=b"/FlateDecodX")
    done = client.post(
        "/protokoll",
        data=form.data(body="Ledningsgruppen", meeting_on="2021-02-09"),
        files={"file": ("protokoll.pdf", broken, "application/pdf")},
    )
    assert done.status_code == 422
    assert "Filen kan inte läsas som en PDF" in text_of(done.text)
    with app.transaction() as s:
        assert s.exec(select(Protokoll)).all() == []


def test_a_board_reader_and_an_owner_cannot_draft_decisions(
    client: TestClient, app: App, now: datetime, chef: Person, lg: Lg
) -> None:
    with app.transaction() as s:
        board = people.ensure_person(
            s,
            "namnd@helsingborg.example",
            now=now,
            name="Nämndsekreterare",
            role=Role.board,
            forvaltning=chef.forvaltning,
        )
    log_in(client, app, chef, now)
    protokoll_id, html = _upload(client)
    data = _review_form(html, protokoll_id, _drafts(app, protokoll_id)) | {"do": "bekrafta"}
    client.cookies.clear()
    # An owner has no log-in: sent to log in.
    assert client.get("/protokoll", follow_redirects=False).status_code == 303
    log_in(client, app, board, now)
    csrf = form_to(client.get("/start").text, "/logga-ut").fields["csrf"]
    assert client.get("/protokoll").status_code == 403
    assert client.get(f"/protokoll/{protokoll_id}").status_code == 403
    upload = client.post(
        "/protokoll",
        data={"csrf": csrf, "body": "Ledningsgruppen", "meeting_on": "2021-02-09"},
        files={"file": (HELSINGBORG.name, HELSINGBORG.read_bytes(), "text/plain")},
    )
    assert upload.status_code == 403
    confirm = client.post(f"/protokoll/{protokoll_id}", data=data | {"csrf": csrf})
    assert confirm.status_code == 403
    assert _actions(app) == []
    with app.transaction() as s:
        assert len(s.exec(select(Protokoll)).all()) == 1


def _colleague(app: App, now: datetime, chef: Person) -> Person:
    """A second chef of the same förvaltning, reviewing the same protokoll at the same time."""
    with app.transaction() as s:
        return people.ensure_person(
            s,
            "kollega@helsingborg.example",
            now=now,
            name="Karin Kollega",
            role=Role.chef,
            forvaltning=chef.forvaltning,
        )


def _textarea(html: str, i: int) -> str:
    return unescape(html.split(f'id="what-{i}"')[1].split(">", 1)[1].split("</textarea>")[0])


def test_a_second_reviewer_saving_a_stale_page_is_refused_and_keeps_what_they_typed(
    client: TestClient, web: FastAPI, app: App, now: datetime, chef: Person, lg: Lg
) -> None:
    colleague = _colleague(app, now, chef)
    log_in(client, app, chef, now)
    protokoll_id, chef_page = _upload(client)
    drafts = _drafts(app, protokoll_id)
    with TestClient(web) as other:
        log_in(other, app, colleague, now)
        colleague_page = other.get(f"/protokoll/{protokoll_id}").text
        # The chef saves first.
        mine = _review_form(chef_page, protokoll_id, drafts)
        mine["what"] = ["Chefens text", *(d.what for d in drafts[1:])]
        saved = client.post(f"/protokoll/{protokoll_id}", data=mine, follow_redirects=False)
        assert saved.status_code == 303, saved.text
        # The colleague, on the page loaded before that, saves their own text: refused.
        theirs = _review_form(colleague_page, protokoll_id, drafts)
        theirs["what"] = ["Kollegans text", *(d.what for d in drafts[1:])]
        theirs["owner"] = [str(lg.tony.id), *list(theirs["owner"])[1:]]  # type: ignore[call-overload]
        refused = other.post(f"/protokoll/{protokoll_id}", data=theirs | {"do": "spara"})
        assert refused.status_code == 409
        page = text_of(refused.text)
        assert "Någon annan har sparat utkasten medan du arbetade" in page
        assert "Dina ändringar står kvar nedan" in page
        assert _textarea(refused.text, 0) == "Kollegans text"
        assert f'<option value="{lg.tony.id}" selected>' in refused.text.split('id="owner-0"')[1]
        assert "Nu sparat: ”Chefens text”" in page
        assert 'aria-describedby="saved-0"' in refused.text.split('id="what-0"')[1][:200]
        assert _drafts(app, protokoll_id)[0].what == "Chefens text"
        # Having compared, the colleague saves again from the page shown: that is kept.
        again = _review_form(refused.text, protokoll_id, drafts)
        again["what"] = theirs["what"]
        done = other.post(f"/protokoll/{protokoll_id}", data=again, follow_redirects=False)
        assert done.status_code == 303, done.text
    assert _drafts(app, protokoll_id)[0].what == "Kollegans text"
    # The chef's page is stale now too: confirming from it creates nothing.
    confirm = mine | {"do": "bekrafta", "keep": ["0"], "owner": [str(lg.maria.id)] * len(drafts)}
    stale = client.post(f"/protokoll/{protokoll_id}", data=confirm)
    assert stale.status_code == 409
    assert _textarea(stale.text, 0) == "Chefens text"
    assert _actions(app) == []
    with app.transaction() as s:
        assert s.get_one(Protokoll, protokoll_id).confirmed_at is None


def test_drafts_merged_meanwhile_leave_the_stale_page_s_text_listed_above_the_saved_ones(
    client: TestClient, web: FastAPI, app: App, now: datetime, chef: Person, lg: Lg
) -> None:
    colleague = _colleague(app, now, chef)
    log_in(client, app, chef, now)
    protokoll_id, chef_page = _upload(client)
    drafts = _drafts(app, protokoll_id)
    with TestClient(web) as other:
        log_in(other, app, colleague, now)
        colleague_page = other.get(f"/protokoll/{protokoll_id}").text
        merge = _review_form(chef_page, protokoll_id, drafts) | {"merge": ["1"], "do": "spara"}
        merged = client.post(f"/protokoll/{protokoll_id}", data=merge, follow_redirects=False)
        assert merged.status_code == 303, merged.text
        theirs = _review_form(colleague_page, protokoll_id, drafts)
        theirs["what"] = ["Kollegans första", "Kollegans andra", *(d.what for d in drafts[2:])]
        refused = other.post(f"/protokoll/{protokoll_id}", data=theirs | {"do": "spara"})
    assert refused.status_code == 409
    page = text_of(refused.text)
    assert "Det du skrev, inte sparat" in page
    assert "”Kollegans första”" in page and "”Kollegans andra”" in page
    # The boxes hold what is saved now, so that the form can be saved again as it stands.
    saved = _drafts(app, protokoll_id)
    assert len(saved) == len(drafts) - 1
    assert f'name="count" value="{len(saved)}"' in refused.text
    assert _textarea(refused.text, 0) == saved[0].what


def test_an_owner_or_kept_draft_in_digits_int_cannot_read_is_taken_as_none(
    client: TestClient, app: App, now: datetime, chef: Person, lg: Lg
) -> None:
    # "²" passes str.isdigit but not int(): read as no choice, never a failed request.
    log_in(client, app, chef, now)
    protokoll_id, html = _upload(client)
    drafts = _drafts(app, protokoll_id)
    data = _review_form(html, protokoll_id, drafts)
    data |= {"owner": ["²"] * len(drafts), "keep": ["²", "①"], "merge": ["³"], "do": "spara"}
    done = client.post(f"/protokoll/{protokoll_id}", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    saved = _drafts(app, protokoll_id)
    assert [(d.owner_id, d.keep) for d in saved] == [(None, False)] * len(drafts)
    assert _actions(app) == []


def test_a_file_whose_text_is_longer_than_a_pasted_text_may_be_is_refused(
    client: TestClient, app: App, now: datetime, chef: Person
) -> None:
    log_in(client, app, chef, now)
    form = form_to(client.get("/protokoll").text, "/protokoll")
    text = "Tony tar fram en ny rutin.\n" * 40_000  # 1 080 000 characters
    done = client.post(
        "/protokoll",
        data=form.data(body="Ledningsgruppen", meeting_on="2021-02-09"),
        files={"file": ("protokoll.txt", text.encode(), "text/plain")},
    )
    assert done.status_code == 422
    assert (
        "Protokollets text är 1 080 000 tecken; högst 1 000 000 läses. Ladda upp protokollet "
        "utan bilagor."
    ) in text_of(done.text)
    with app.transaction() as s:
        assert s.exec(select(Protokoll)).all() == []


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("body", "Organets namn är för långt: högst 200 tecken."),
        ("title", "Rubriken är för lång: högst 300 tecken."),
    ],
)
def test_an_overlong_organ_or_title_is_refused_beside_its_box_with_the_text_kept(
    client: TestClient, app: App, now: datetime, chef: Person, field: str, message: str
) -> None:
    log_in(client, app, chef, now)
    form = form_to(client.get("/protokoll").text, "/protokoll")
    typed = {"body": "Ledningsgruppen", "meeting_on": "2021-02-09", "text": "§ 1 Beslut"}
    typed[field] = "Å" * 400
    done = client.post("/protokoll", data=form.data(**typed))
    assert done.status_code == 422
    assert message in text_of(done.text)
    assert f'id="{field}" name="{field}"' in done.text
    box = done.text.split(f'id="{field}" name="{field}"')[1].split(">")[0]
    assert 'aria-invalid="true"' in box
    assert "Å" * 400 in box and "2021-02-09" in done.text
    with app.transaction() as s:
        assert s.exec(select(Protokoll)).all() == []
