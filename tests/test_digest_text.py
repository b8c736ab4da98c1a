"""The plain-text part of a reminder reads in any mail program: no line longer than the 76
characters mail is written to (RFC 5322 asks for 78 at most), whatever the plan and
utvecklingsområde are called; only a link is left whole. And it greets a person, never an
address."""

from __future__ import annotations

from datetime import date

from notifications.render import (
    Digest,
    DigestItem,
    DigestSection,
    Summary,
    render_digest,
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
