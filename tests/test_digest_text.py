"""The plain-text part of a reminder reads in any mail program: no line longer than the 76
characters mail is written to (RFC 5322 asks for 78 at most), whatever the plan and
utvecklingsområde are called; only a link is left whole. And it greets a person, never an
address."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from notifications.render import (
    Digest,
    DigestItem,
    DigestSection,
    LoginMail,
    OwnerItem,
    OwnerMail,
    Summary,
    SummaryEntry,
    SummarySection,
    render_digest,
    render_login_mail,
    render_owner_mail,
    render_summary,
)

# The longest names in Piteå's plan.
PLAN = "Åtgärdsplan för att stärka grundskolans ledningsfunktion"
AREA = (
    "Klargöra ansvarsfördelningen i fastighets- och lokalfrågor mellan nämnden och "
    "Fastighets- och serviceförvaltningen"
)


def test_no_line_of_the_text_part_is_longer_than_mail_lines_are() -> None:
    item = DigestItem(
        number=5,
        text="Förnyade kontakter tas mellan förvaltningsledningarna " * 3,
        plan=PLAN,
        area=AREA,
        state="Ej påbörjat",
        reason="Försenad 9 dagar (klart-datum 31 december 2017)",
        due_on=date(2017, 12, 31),
        # As the plan writes it: longer than a line once it follows the date.
        tidsplan="Klart december 2017. Utvärderas september 2018.",
        progress_note="Ej påbörjat. Ny återrapport juni 2018. " * 4,
        progress_on=date(2018, 1, 10),
    )
    digest = Digest(
        to="per.holmgren@pitea.example",
        name="Per Holmgren",
        subject="Påminnelse",
        sections=(DigestSection("Försenade", (item,), urgent=True),),
        link="https://atgarder.pitea.example/ansvarig/" + "x" * 80,
        link_valid_until=date(2018, 2, 9),
        reply_to="malin.westling@pitea.example",
    )
    text = render_digest(digest).text
    long = [line for line in text.splitlines() if len(line) > 76 and "https://" not in line]
    assert long == []
    # Nothing of the names is lost to the wrapping.
    words = " ".join(text.split())
    assert f"Plan: {PLAN} · {AREA}" in words
    assert "(tidsplan: Klart december 2017. Utvärderas september 2018.)" in words
    assert "(länken gäller till 9 februari 2018):" in words


def test_someone_known_only_by_their_address_is_greeted_without_it() -> None:
    address = "bo.agren@pitea.example"
    digest = render_digest(Digest(to=address, name=address, subject="Påminnelse", sections=()))
    summary = render_summary(
        Summary(to=address, name=address, subject="Sammanfattning", intro="I dag.", sections=())
    )
    for message in (digest, summary):
        assert message.text.startswith("Hej!\n")
        assert "<p>Hej!</p>" in (message.html or "")
        assert f"Hej {address}" not in message.text + (message.html or "")
    named = render_digest(Digest(to=address, name="Bo Ågren", subject="Påminnelse", sections=()))
    assert named.text.startswith("Hej Bo Ågren,\n")


def test_the_owners_line_breaks_are_kept_in_both_parts_of_the_reminder_and_the_summary() -> None:
    """The owner's words are printed as written: a processläge typed as a list or in
    paragraphs (browsers send its line breaks as CRLF) keeps them in the chef's and the
    owner's mails, rather than running together into one line."""
    note = "Klart:\r\n- rutinen skriven\r\n- utbildning hållen\r\n\r\n\r\nNy återrapport juni."
    item = DigestItem(
        number=5,
        text="Rutin",
        plan=PLAN,
        area="",
        state="Pågår",
        reason="Försenad",
        progress_note=note,
    )
    digest = render_digest(
        Digest(
            to="a@pitea.example",
            name="A",
            subject="Påminnelse",
            sections=(DigestSection("Försenade", (item,)),),
        )
    )
    summary = render_summary(
        Summary(
            to="a@pitea.example",
            name="A",
            subject="Sammanfattning",
            intro="I dag.",
            sections=(
                SummarySection(
                    PLAN, (SummaryEntry(5, "Rutin", "Bo", "i dag", "Nytt processläge", note),)
                ),
            ),
        )
    )
    kept = "       Klart:\n       - rutinen skriven\n       - utbildning hållen\n\n       Ny"
    for message in (digest, summary):
        assert kept in message.text
        html = message.html or ""
        assert "Klart:<br>- rutinen skriven<br>- utbildning hållen<br><br>Ny återrapport" in html


def test_no_line_of_an_owners_link_or_log_in_mail_is_longer_than_mail_lines_are() -> None:
    """The mail that gives an owner an åtgärd (Piteå's run to 300 characters), a new link,
    or a log-in link reads in a text client too: only the link itself may be longer."""
    text = "Förnyade kontakter tas mellan förvaltningsledningarna (inklusive nämndsordförande) " * 3
    owner = OwnerMail(
        to="per.holmgren@pitea.example",
        name="Per Holmgren",
        subject="Du är ansvarig",
        url="https://atgarder.pitea.example/ansvarig/" + "x" * 80,
        days=30,
        items=(
            OwnerItem(
                text,
                tidsplan="Klart december 2017. Utvärderas september 2018. " * 2,
                sources=(f"Protokoll {PLAN}, § 12, punkt 3 " * 2,),
            ),
        ),
        plan=PLAN,
        assigned=True,
        assigned_by="Malin Westling",
        assigned_by_email="malin.westling@pitea.example",
        examples="”Starta” eller ”Slutför”",
    )
    messages = [
        render_owner_mail(owner),
        render_owner_mail(replace(owner, items=owner.items * 2, counted="2 åtgärder")),
        render_owner_mail(replace(owner, assigned=False)),
        render_owner_mail(replace(owner, items=())),
        render_login_mail(
            LoginMail(to=owner.to, name=owner.name, subject="Logga in", url=owner.url, minutes=60)
        ),
    ]
    for message in messages:
        long = [line for line in message.text.splitlines() if len(line) > 76 and "://" not in line]
        assert long == []
    words = " ".join(messages[0].text.split())
    assert " ".join(text.split()) in words
    assert "fråga Malin Westling (malin.westling@pitea.example), som gav dig det." in words
