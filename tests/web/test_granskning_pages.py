"""The granskning pages: entering a granskning, its rekommendationer and yttranden, linking
åtgärder and creating one in a plan, the follow-up document in three formats, issuing it
(archived with SHA-256, never changed), the plan's report page, importing a revised file (a
dry run first), and who may do what."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import select

from tests.support import builders as b
from tests.support.documents import docx_text, pdf_text, squash
from tests.support.smtp import SmtpServer
from tests.web.conftest import World
from tests.web.helpers import (
    MovableClock,
    form_to,
    forms,
    log_in,
    refuse_for_good,
    retry_and_deliver,
    text_of,
)
from tracker.app import App
from tracker.models import Action, Audit, AuditDocument, OutboxMessage, Person, Plan, Role
from tracker.services import actions, audits, people, plans
from tracker.services.dispatch import send_outbox

RECOMMENDATION = "Förbättra rutinerna för informationsöverföring inom organisationen"
OTHER = "Utforma en plan för rektorernas ledarskapsutveckling"


def new_audit(client: TestClient) -> str:
    page = client.get("/granskningar")
    form = form_to(page.text, "/granskningar")
    done = client.post(
        "/granskningar",
        data={
            **form.data(),
            "namn": "Granskning av ekonomiskt bistånd",
            "revisor": "KPMG",
            "datum": "2017-04-28",
            "dnr": "SN 2017/58",
            "epost": "revisorerna@pitea.example",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return str(done.headers["location"])


def post_form(client: TestClient, page: str, action_part: str, **fields: str) -> str:
    """Post the page's first form whose action ends with `action_part`."""
    found = [f for f in forms(client.get(page).text) if f.action.endswith(action_part)]
    assert found, action_part
    form = found[0]
    done = client.post(form.action, data={**form.data(), **fields}, follow_redirects=False)
    assert done.status_code == 303, done.text
    return str(done.headers["location"])


def filled(client: TestClient, world: World) -> str:
    """A granskning with two rekommendationer: one answered by a1 (linked) and a new åtgärd,
    with the nämnd's yttrande; the other unanswered."""
    page = new_audit(client)
    post_form(client, page, "/rekommendationer", text=RECOMMENDATION)
    post_form(client, page, "/rekommendationer", text=OTHER)
    post_form(client, page, "/yttrande", yttrande="Nämnden delar revisorernas bedömning.")
    post_form(client, page, "/koppla", action_id=str(world.a1))
    post_form(
        client,
        page,
        "/ny-atgard",
        area_id=str(world.area_id),
        text="Ta fram en rutin för överlämningar",
        tidsplan="Klart till juni 2018.",
        due_on="2018-06-30",
    )
    return page


def test_a_chef_enters_a_granskning_and_answers_it_with_linked_and_new_actions(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    page = filled(client, world)
    text = text_of(client.get(page).text)
    assert "Granskning av ekonomiskt bistånd" in text
    assert "Nämndens yttrande: Nämnden delar revisorernas bedömning." in text
    assert "Ta fram rutin för handläggning" in text
    assert f"Rekommendation 2 {OTHER} Status: Ej besvarad" in text
    assert "Status: Ej påbörjad" in text
    with app.transaction() as s:
        made = s.exec(select(Action).where(Action.text == "Ta fram en rutin för överlämningar"))
        assert made.one().plan_id == world.plan_id
    # The plan's report page names the granskning its åtgärder answer, with the status.
    reports_page = text_of(client.get(f"/planer/{world.plan_id}/aterrapporter").text)
    assert "Granskningar som planens åtgärder svarar mot" in reports_page
    assert f"1. {RECOMMENDATION} 2 Ej påbörjad" in reports_page
    # Moving the clock past a1's due date makes the recommendation late.
    clock.advance(days=90)
    log_in(client, app, world.chef, clock())
    assert "Status: Ej påbörjad, försenad" in text_of(client.get(page).text)
    assert "Granskningar" in text_of(client.get("/granskningar").text)


def test_the_list_of_actions_to_link_shortens_long_names_between_words(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    area_title = "Kvalitetssäkring av handläggningen inom ekonomiskt bistånd"
    text = (
        "Ta fram en skriftlig rutin för hur handläggarna dokumenterar varje beslut om "
        "ekonomiskt bistånd, med kvalitetskontroll"
    )
    with app.transaction() as s:
        plan = s.get(Plan, world.plan_id)
        assert plan is not None
        area = plans.ensure_area(s, plan, area_title)
        long = plans.add_action(s, app.registry, area, now=clock(), text=text)
    log_in(client, app, world.chef, clock())
    page = new_audit(client)
    post_form(client, page, "/rekommendationer", text=RECOMMENDATION)
    html = client.get(page).text
    # The åtgärd's option in "Koppla en åtgärd", and the area's in "Ny åtgärd".
    assert re.findall(rf'<option value="{long.id}">(.*?: .*?)</option>', html) == [
        "Kvalitetssäkring av handläggningen inom…: Ta fram en skriftlig rutin för hur "
        "handläggarna dokumenterar varje beslut om ekonomiskt…"
    ]
    assert f'<option value="{area.id}">{area_title}</option>' in html
    # A name that fits is shown whole, without an ellipsis.
    assert f'<option value="{world.a1}">Ekonomiskt bistånd: Ta fram rutin för' in html


def test_a_new_atgard_s_owner_is_told_which_rekommendation_it_answers(
    client: TestClient, app: App, world: World, clock: MovableClock, smtp_server: SmtpServer
) -> None:
    log_in(client, app, world.chef, clock())
    page = new_audit(client)
    post_form(client, page, "/rekommendationer", text=RECOMMENDATION)
    post_form(client, page, "/rekommendationer", text=OTHER)
    second = [f for f in forms(client.get(page).text) if f.action.endswith("/ny-atgard")][1]
    done = client.post(
        second.action,
        data=second.data(
            area_id=str(world.area_id),
            text="Ledarskapsprogram för rektorer",
            owner_email="cecilia.holm@pitea.example",
            owner_name="Cecilia Holm",
        ),
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    clock.advance(minutes=app.settings.assignment_mail_minutes)
    assert send_outbox(b.with_smtp(app, smtp_server.port), now=clock()).sent == 1
    [received] = smtp_server.messages()
    text = received.get_body(("plain",))
    assert text is not None
    body = str(text.get_content())
    assert "Från ”Granskning av ekonomiskt bistånd”, rekommendation 2" in body
    assert "(till exempel ”Starta”)" in body


def test_an_answering_atgard_s_page_names_its_rekommendation_and_links_back(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """The chef reading an åtgärd is told, as its owner's mail tells the owner, which
    granskning's rekommendation it answers, with the way back to the granskning."""
    log_in(client, app, world.chef, clock())
    page = filled(client, world)
    with app.transaction() as s:
        audit = s.exec(select(Audit)).one()
        [first, second] = audits.recommendations(s, audit.id or 0)
    audits_page = f"/granskningar/{audit.id}"
    post_form(client, page, "/koppla", action_id=str(world.a2))
    # a2 answers the second rekommendation as well: both are named, in the granskning's order.
    second_form = [f for f in forms(client.get(page).text) if f.action.endswith("/koppla")][1]
    client.post(second_form.action, data=second_form.data(action_id=str(world.a2)))
    shown = client.get(f"/atgarder/{world.a2}")
    text = text_of(shown.text)
    assert (
        "Från ”Granskning av ekonomiskt bistånd”, rekommendation 1 "
        "Från ”Granskning av ekonomiskt bistånd”, rekommendation 2"
    ) in text
    assert f'href="{audits_page}#rekommendation-{first.id}"' in shown.text
    assert f'href="{audits_page}#rekommendation-{second.id}"' in shown.text
    # An åtgärd answering nothing says nothing of granskningar.
    assert ", rekommendation " not in text_of(client.get(f"/atgarder/{world.b1}").text)


def test_the_granskning_page_says_who_answers_each_rekommendation_and_by_when(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """Following the owners up, the secretary reads on the granskning's page who has each
    answering åtgärd and its dates, also where only a date was given (as the follow-up's
    document shows it)."""
    log_in(client, app, world.chef, clock())
    page = new_audit(client)
    post_form(client, page, "/rekommendationer", text=RECOMMENDATION)
    post_form(client, page, "/koppla", action_id=str(world.a1))
    post_form(
        client,
        page,
        "/ny-atgard",
        area_id=str(world.area_id),
        text="Ta fram en rutin för överlämningar",
        due_on="2018-06-30",
    )
    text = text_of(client.get(page).text)
    assert "Åtgärd Plan Ansvarig Tidsplan Läge" in text
    assert (
        "Ta fram rutin för handläggning Åtgärdsplan efter granskning av ekonomiskt bistånd "
        "Ekonomiskt bistånd Anna Berg Klart till mars 2018. Utvärderas oktober 2018. "
        "Ej påbörjat"
    ) in text
    assert (
        "Ta fram en rutin för överlämningar Åtgärdsplan efter granskning av ekonomiskt bistånd "
        "Ekonomiskt bistånd Ingen ansvarig Klart till 2018-06-30. Ej påbörjat"
    ) in text


def test_the_granskning_page_calls_a_decision_answering_a_rekommendation_a_beslut(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """A nämnd's decision linked to a rekommendation is a beslut in its table; a rekommendation
    answered by an åtgärd reads as before."""
    with app.transaction() as s:
        decision = plans.add_action(
            s,
            app.registry,
            plans.ensure_area(s, plans.get_plan(s, world.plan_id), "Sammanträdet 14 juni"),
            now=clock(),
            workflow="protokoll",
            text="Nämnden beslutar om en ny rutin",
        )
        assert decision.id is not None
        decided = decision.id
    log_in(client, app, world.chef, clock())
    page = new_audit(client)
    post_form(client, page, "/rekommendationer", text=RECOMMENDATION)
    post_form(client, page, "/rekommendationer", text=OTHER)
    post_form(client, page, "/koppla", action_id=str(decided))
    later = [f for f in forms(client.get(page).text) if f.action.endswith("/koppla")][1]
    done = client.post(later.action, data={**later.data(), "action_id": str(world.a1)})
    assert done.status_code == 200, done.text
    html = client.get(page).text
    text = text_of(html)
    assert "Beslut som svarar mot rekommendation 1 Beslut Plan Ansvarig Tidsplan Läge" in text
    assert "Åtgärder som svarar mot rekommendation 2 Åtgärd Plan Ansvarig Tidsplan Läge" in text
    assert 'data-label="Beslut"><a href="/atgarder/' in html
    # The plan's page of återrapporter names what of the plan answers them the same way.
    reports = text_of(client.get(f"/planer/{world.plan_id}/aterrapporter").text)
    assert "Granskningar som planens åtgärder och beslut svarar mot" in reports
    assert "Granskning Rekommendation Åtgärder och beslut i planen Status" in reports


def test_a_rekommendation_answered_by_a_withdrawn_beslut_says_beslutet_utgar(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """The status over a nämnd's decisions names them as beslut, on the granskning page and
    on the plan's page of återrapporter; one answered by åtgärder reads as before, and the
    kommun's overview still counts both under its column."""
    with app.transaction() as s:
        decision = plans.add_action(
            s,
            app.registry,
            plans.ensure_area(s, plans.get_plan(s, world.plan_id), "Sammanträdet 14 juni"),
            now=clock(),
            workflow="protokoll",
            text="Nämnden beslutar om en ny rutin",
        )
        assert decision.id is not None
        decided = decision.id
        actions.move(s, app.registry, decided, "utga", world.chef, now=clock(), text="Ersatt")
        for a in (world.a1, world.a2):
            actions.move(s, app.registry, a, "utga", world.chef, now=clock(), text="Ersatt")
    log_in(client, app, world.chef, clock())
    page = new_audit(client)
    post_form(client, page, "/rekommendationer", text=RECOMMENDATION)
    post_form(client, page, "/rekommendationer", text=OTHER)
    post_form(client, page, "/koppla", action_id=str(decided))
    later = [f for f in forms(client.get(page).text) if f.action.endswith("/koppla")][1]
    for a in (world.a1, world.a2):
        done = client.post(later.action, data={**later.data(), "action_id": str(a)})
        assert done.status_code == 200, done.text
    text = text_of(client.get(page).text)
    assert "Status: Alla beslut klara (beslutet utgår)" in text
    assert "Status: Alla åtgärder klara (alla åtgärder utgår)" in text
    # Each withdrawn item in the tables agrees with its noun: "ett beslut ... klart".
    assert text.count("(räknas som klart)") == 1
    assert text.count("(räknas som klar)") == 2
    reports = text_of(client.get(f"/planer/{world.plan_id}/aterrapporter").text)
    assert "Alla beslut klara (beslutet utgår)" in reports
    assert "Alla åtgärder klara (alla åtgärder utgår)" in reports
    overview = client.get("/kommunen")
    assert overview.status_code == 200, overview.text
    row = text_of(overview.text).split("Granskning av ekonomiskt bistånd", 1)[1]
    assert row.split()[3:8] == ["0", "0", "0", "2", "0"], row[:200]


def test_a_refused_owner_of_a_new_atgard_keeps_everything_typed_and_creates_nothing(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    page = new_audit(client)
    post_form(client, page, "/rekommendationer", text=RECOMMENDATION)
    form = form_to(client.get(page).text, "/ny-atgard")
    typed = {
        "area_id": str(world.area_id),
        "text": "Ta fram en rutin för överlämningar",
        "tidsplan": "Klart till juni 2018.",
        "due_on": "2018-06-30",
        "evaluate_on": "2018-10-31",
        "owner_email": "lena@pitea",
        "owner_name": "Lena Sjöberg",
    }
    refused = client.post(form.action, data=form.data(**typed))
    assert refused.status_code == 422
    assert "Ogiltig e-postadress: 'lena@pitea'." in text_of(refused.text)
    again = form_to(refused.text, "/ny-atgard").fields
    assert {k: again[k] for k in typed} == typed
    assert re.search(r'name="owner_email"[^>]*aria-invalid="true"', refused.text)
    with app.transaction() as s:
        assert s.exec(select(Action).where(Action.text == typed["text"])).first() is None
        assert people.find_person(s, "lena@pitea") is None


def test_the_follow_up_downloads_as_html_pdf_and_docx_with_texts_and_statuses(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    page = filled(client, world)
    html = client.get(f"{page}/uppfoljning.html")
    assert html.status_code == 200 and "sandbox" in html.headers["content-security-policy"]
    pdf = client.get(f"{page}/uppfoljning.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    docx = client.get(f"{page}/uppfoljning.docx")
    for words in (text_of(html.text), pdf_text(pdf.content), docx_text(docx.content)):
        flat = squash(words)
        for needle in (
            "Uppföljning av granskning",
            "SN 2017/58",
            RECOMMENDATION,
            OTHER,
            "Nämnden delar revisorernas bedömning.",
            "Status: Ej påbörjad",
            "Status: Ej besvarad",
            "Ta fram rutin för handläggning",
            "Klart till mars 2018.",
        ):
            assert squash(needle) in flat, (needle, words[:400])
    assert client.get(f"{page}/uppfoljning.odt").status_code == 422


def test_issuing_archives_each_format_with_sha256_and_the_issued_bytes_never_change(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    page = filled(client, world)
    post_form(client, page, "/utfarda")
    with app.transaction() as s:
        first = s.exec(select(AuditDocument)).all()
        kept = {d.id: (d.format, d.data, d.sha256) for d in first}
    assert sorted(f for f, _, _ in kept.values()) == ["docx", "html", "pdf"]
    for doc_id, (_fmt, data, sha) in kept.items():
        assert hashlib.sha256(data).hexdigest() == sha
        got = client.get(f"{page}/utfardade/{doc_id}")
        assert got.status_code == 200 and got.content == data
    shown = client.get(page).text
    assert all(sha in shown for _, _, sha in kept.values())
    # The work goes on and a second version is issued: the first stays as it was.
    post_form(client, page, "/yttrande", yttrande="Ett nytt yttrande.")
    clock.advance(days=30)
    log_in(client, app, world.chef, clock())
    post_form(client, page, "/utfarda")
    with app.transaction() as s:
        docs = s.exec(select(AuditDocument)).all()
        assert sorted({d.number for d in docs}) == [1, 2]
        for d in docs:
            if d.id in kept:
                assert (d.format, d.data, d.sha256) == kept[d.id]
            elif d.format == "html":
                assert b"Ett nytt yttrande." in d.data
    assert re.search(r"Version 2", text_of(client.get(page).text))


def test_issuing_sends_the_pdf_and_docx_to_the_revisorer_over_smtp(
    client: TestClient, app: App, world: World, clock: MovableClock, smtp_server: SmtpServer
) -> None:
    log_in(client, app, world.chef, clock())
    page = filled(client, world)
    form = form_to(client.get(page).text, "/utfarda")
    assert form.fields["skicka"] == "1"  # checked: an issued follow-up goes to the revisorer
    done = client.post(form.action, data=form.data(), follow_redirects=False)
    assert done.status_code == 303
    # Queued is not sent.
    assert "Skickad till revisorerna@pitea.example: Inte ännu" in text_of(client.get(page).text)
    assert send_outbox(b.with_smtp(app, smtp_server.port), now=clock()).sent == 1
    assert "Skickad till revisorerna@pitea.example: 2018-01-10 10:00 Version" in text_of(
        client.get(page).text
    )

    [received] = smtp_server.messages()
    assert received["To"] == "revisorerna@pitea.example"
    assert received["Reply-To"] == world.chef.email  # who sent it, not the product
    assert received["Subject"] == (
        "Uppföljning av granskning, version 1: Granskning av ekonomiskt bistånd (Dnr SN 2017/58)"
    )
    attached = {a.get_filename(): a.get_content() for a in received.iter_attachments()}
    with app.transaction() as s:
        issued = {d.filename: d.data for d in s.exec(select(AuditDocument))}
    assert sorted(attached) == sorted(n for n in issued if not n.endswith(".html"))
    assert all(attached[n] == issued[n] for n in attached)  # the archived bytes, unchanged
    assert "version 1" in str(received.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_an_issued_version_is_called_sent_only_once_the_outbox_delivered_it(
    client: TestClient, app: App, world: World, clock: MovableClock, smtp_server: SmtpServer
) -> None:
    log_in(client, app, world.chef, clock())
    page = filled(client, world)
    post_form(client, page, "/utfarda", skicka="1")
    words = text_of(client.get(page).text)
    assert (
        "Skickad till revisorerna@pitea.example: Inte ännu: 1 av 1 brev väntar i utkorgen "
        "sedan 2018-01-10 10:00." in words
    )

    # Their server refuses for good: the page says so, with the way to the outbox.
    assert refuse_for_good(app, smtp_server, clock, "revisorerna@pitea.example").failed == 1
    shown = client.get(page).text
    assert (
        "Skickad till revisorerna@pitea.example: Inte skickad: 1 av 1 brev kunde inte skickas."
        in text_of(shown)
    )
    assert 'href="/utkorg?visa=misslyckade"' in shown

    # Sent again from the outbox and delivered: now it is sent, at the time it went.
    assert retry_and_deliver(app, smtp_server, clock, "revisorerna@pitea.example").sent == 1
    assert "Skickad till revisorerna@pitea.example: 2018-01-10 10:15" in text_of(
        client.get(page).text
    )


def test_issuing_without_sending_and_sending_without_an_address(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    page = filled(client, world)
    form = form_to(client.get(page).text, "/utfarda")
    unchecked = {k: v for k, v in form.data().items() if k != "skicka"}
    assert client.post(form.action, data=unchecked, follow_redirects=False).status_code == 303
    with app.transaction() as s:
        assert {d.sent_to for d in s.exec(select(AuditDocument))} == {""}
        assert s.exec(select(OutboxMessage)).all() == []
        audit = s.exec(select(Audit)).one()
        audit.recipient_email = ""
        s.add(audit)
    # The address was removed meanwhile: sending is refused, nothing is issued.
    refused = client.post(form.action, data=form.data())
    assert refused.status_code == 422
    assert "ingen e-postadress till revisorerna" in text_of(refused.text)
    with app.transaction() as s:
        assert {d.number for d in s.exec(select(AuditDocument))} == {1}
    assert "skicka" not in form_to(client.get(page).text, "/utfarda").fields


def test_bad_input_is_refused_with_the_error_tied_to_its_field(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    form = form_to(client.get("/granskningar").text, "/granskningar")
    empty = client.post("/granskningar", data={**form.data(), "namn": " "})
    assert empty.status_code == 422
    assert re.search(r'id="ny-namn"[^>]*aria-describedby="ny-fel" aria-invalid="true"', empty.text)
    assert "Granskningens namn måste fyllas i." in text_of(empty.text)
    bad_date = client.post(
        "/granskningar", data={**form.data(), "namn": "Granskning", "datum": "28 april"}
    )
    assert bad_date.status_code == 422
    assert re.search(r'id="ny-datum"[^>]*aria-invalid="true"', bad_date.text)
    page = new_audit(client)
    post_form(client, page, "/rekommendationer", text=RECOMMENDATION)
    [link] = [f for f in forms(client.get(page).text) if f.action.endswith("/koppla")]
    other_plan_action = client.post(link.action, data={**link.data(), "action_id": "999"})
    assert other_plan_action.status_code == 422
    assert "Välj en åtgärd i listan." in text_of(other_plan_action.text)
    upload = form_to(client.get("/granskningar").text, "/granskningar/import")
    bad = "Granskning;Datum;Rekommendation\nA;igår;Gör\n".encode()
    refused = client.post(
        "/granskningar/import",
        data={"csrf": upload.fields["csrf"]},
        files={"fil": ("fel.csv", bad, "text/csv")},
    )
    assert refused.status_code == 422
    assert "Rad 2, kolumn Datum: 'igår' är inget datum" in text_of(refused.text)
    good = (
        "Granskning;Revisor;Datum;Dnr;Rekommendation;Yttrande\n"
        "Granskning av IT;EY;2019-03-01;KS 2019/1;Gör en plan;Ja\n"
    ).encode()
    done = client.post(
        "/granskningar/import",
        data={"csrf": upload.fields["csrf"]},
        files={"fil": ("it.csv", good, "text/csv")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Gör en plan" in text_of(client.get(done.headers["location"]).text)
    with app.transaction() as s:
        assert len(s.exec(select(Audit)).all()) == 2


def test_a_board_reader_reads_and_another_forvaltning_s_chef_sees_nothing(
    client: TestClient, app: App, world: World, clock: MovableClock, board: Person, now: datetime
) -> None:
    with app.transaction() as s:
        audit = audits.create_audit(
            s, now=now, title="Granskning", forvaltning=world.chef.forvaltning
        )
        rec = audits.add_recommendation(s, audit, RECOMMENDATION)
        other = people.ensure_person(
            s, "kultur@pitea.example", now=now, role=Role.chef, forvaltning="Kultur"
        )
        page = f"/granskningar/{audit.id}"
        rec_path = f"{page}/rekommendationer/{rec.id}/yttrande"
    log_in(client, app, board, clock())
    shown = client.get(page)
    assert shown.status_code == 200 and RECOMMENDATION in shown.text
    assert f'action="{rec_path}"' not in shown.text
    csrf = form_to(shown.text, "/logga-ut").fields["csrf"]
    assert client.post(rec_path, data={"csrf": csrf, "yttrande": "x"}).status_code == 403
    assert f'href="{page}"' in client.get("/granskningar").text
    log_in(client, app, other, clock())
    assert client.get(page).status_code == 403
    assert f'href="{page}"' not in client.get("/granskningar").text


def test_a_revised_file_updates_the_granskning_after_a_dry_run_that_saved_nothing(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    page = filled(client, world)
    added = "Följ upp att rutinen används"
    revised = (
        "Granskning;Revisor;Datum;Dnr;Rekommendation;Yttrande\n"
        f"Granskning av ekonomiskt bistånd;;;SN 2017/99;{RECOMMENDATION};Nämnden har infört "
        "rutinen.\n"
        f";;;;{added};\n"
    ).encode()
    upload = form_to(client.get("/granskningar").text, "/granskningar/import")
    assert "Bara kontrollera filen, spara inget" in upload.labels

    def send(**extra: str) -> Response:
        return client.post(
            "/granskningar/import",
            data=upload.data(**extra),
            files={"fil": ("reviderad.csv", revised, "text/csv")},
            follow_redirects=False,
        )

    tried = send(dry_run="1")
    assert tried.status_code == 200
    shown = text_of(tried.text)
    assert "Provkörning: reviderad.csv gick att läsa, men ingenting sparades." in shown
    assert "Rekommendationer: 1 ny, 1 med ändrat yttrande, 0 oförändrade." in shown
    assert "1 rekommendation i granskningen finns inte i filen; den lämnades orörd." in shown
    assert added not in text_of(client.get(page).text)
    done = send()
    assert done.status_code == 303 and done.headers["location"] == page
    after = text_of(client.get(page).text)
    assert "reviderad.csv är inläst." in after and "(uppdaterad)" in after
    assert added in after and "Nämnden har infört rutinen." in after
    with app.transaction() as s:
        [audit] = s.exec(select(Audit)).all()
        assert audit.id is not None and (audit.auditor, audit.dnr) == ("KPMG", "SN 2017/99")
        view = audits.audit_view(s, app.registry, audit.id, clock().date())
        assert [(r.recommendation.text, len(r.actions)) for r in view.recommendations] == [
            (RECOMMENDATION, 2),
            (OTHER, 0),
            (added, 0),
        ]
