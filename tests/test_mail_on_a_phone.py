"""Every mail a person gets, in a real headless Chromium at a phone's width: the HTML part
is laid out for the screen it is read on (a mail app that honours the page's viewport shows
a page without one as a 980 px desktop page shrunk to a third, and its text unreadable),
and nothing makes it scroll sideways, however long the link."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from notifications.message import OutgoingMessage
from notifications.render import (
    Digest,
    DigestItem,
    DigestSection,
    LoginMail,
    OwnerItem,
    OwnerMail,
    Summary,
    render_digest,
    render_login_mail,
    render_owner_mail,
    render_summary,
)

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser

LINK = "https://atgarder.pitea.example/ansvarig/" + "eyJwIjo1LCJ0IjoxNzk2NjkxMjY0fQ" * 3
ITEM = DigestItem(
    number=6,
    text="Rektorernas ledarskaps- och kompetensutveckling analyseras.",
    plan="Åtgärdsplan för att stärka grundskolans ledningsfunktion",
    area="Utforma en plan för rektorernas ledarskapsutveckling",
    state="Pågår",
    reason="Försenad 9 dagar (klart-datum 31 januari 2018)",
    due_on=date(2018, 1, 31),
    tidsplan="Klart januari 2018. Utvärderas januari 2019.",
    progress_note="Pågår. Uppdraget utförs av konsult.",
    progress_on=date(2018, 1, 10),
)


def mails() -> dict[str, OutgoingMessage]:
    to, name = "anna.berg@pitea.example", "Anna Berg"
    owner = OwnerMail(to=to, name=name, subject="Du är ansvarig", url=LINK, days=30, assigned=True)
    return {
        "påminnelse": render_digest(
            Digest(
                to=to,
                name=name,
                subject="Påminnelse",
                sections=(DigestSection("Försenade", (ITEM,), urgent=True),),
                link=LINK,
            )
        ),
        "tilldelning av en": render_owner_mail(replace(owner, items=(OwnerItem(text=ITEM.text),))),
        "tilldelning av flera": render_owner_mail(
            replace(owner, items=(OwnerItem(text="Ett"), OwnerItem(text="Två")))
        ),
        "ny länk": render_owner_mail(replace(owner, assigned=False)),
        "inloggning": render_login_mail(
            LoginMail(to=to, name=name, subject="Logga in", url=LINK, minutes=60)
        ),
        "sammanfattning": render_summary(
            Summary(to=to, name=name, subject="Sammanfattning", intro="I dag.", sections=())
        ),
    }


def test_every_mail_is_laid_out_for_a_phones_width() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("TRACKER_TEST_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required (TRACKER_TEST_REQUIRE_BROWSER) but missing")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    widths = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu"]
        )
        try:
            # is_mobile: the page's viewport tag is honoured, as a phone's mail app does.
            page = browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
            ).new_page()
            for kind, message in mails().items():
                assert message.html, kind
                page.set_content(message.html)
                widths[kind] = page.evaluate(
                    "[document.documentElement.clientWidth, document.documentElement.scrollWidth]"
                )
        finally:
            browser.close()
    assert widths == {kind: [390, 390] for kind in widths}
