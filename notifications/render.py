"""Rendering e-mails with Jinja2: a real plain-text part and an HTML part from the same data.

Callers pass plain dataclasses; this module knows nothing of plans or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from notifications import swedish
from notifications.message import OutgoingMessage


@lru_cache(maxsize=4096)
def long_date(d: date | None) -> str:
    """'10 januari 2018', whatever the process locale."""
    return "–" if d is None else swedish.long_date(d)


@dataclass(frozen=True)
class DigestItem:
    """One åtgärd in a digest."""

    number: int
    text: str
    plan: str
    area: str
    state: str
    # Why it is listed: "Försenad sedan 1 april 2018 (10 dagar)".
    reason: str
    due_on: date | None = None
    tidsplan: str = ""
    evaluate_on: date | None = None
    progress_note: str = ""
    progress_on: date | None = None
    # Shown in a chef's digest: whose åtgärd it is.
    owner: str = ""
    # A link for this item alone, with what it does ("Kvittera eskaleringen").
    action_link: str = ""
    action_link_label: str = ""


@dataclass(frozen=True)
class DigestSection:
    title: str
    items: tuple[DigestItem, ...]
    intro: str = ""
    # Shown as a warning (försenade).
    urgent: bool = False
    # How many more there are than listed (long lists are cut, see the web app for all).
    more: int = 0


_AUTOMATIC = "Det här är ett automatiskt meddelande från systemet för åtgärdsplaner."


@dataclass(frozen=True)
class Digest:
    to: str
    name: str
    subject: str
    sections: tuple[DigestSection, ...]
    # Paragraphs shown before the sections (the report-back call and its deadline).
    notices: tuple[str, ...] = ()
    # The one signed link that opens all the recipient's own åtgärder, if they have any.
    link: str | None = None
    # What the own items listed are called together, after "dina": "åtgärder", "kontroller",
    # "åtgärder och kontroller" (their workflows' nouns).
    kinds: str = "åtgärder"
    link_valid_until: date | None = None
    site_url: str = ""
    # Where a reply goes: the chef of the recipient's åtgärder, when they have one.
    reply_to: str = ""

    @property
    def footer(self) -> str:
        """The last line, which says where a reply goes: to the chef the Reply-To names, or,
        without one, nowhere."""
        if self.reply_to:
            return f"{_AUTOMATIC} Svarar du på det går svaret till din chef, {self.reply_to}."
        return f"{_AUTOMATIC} Svara inte på det; kontakta din chef om något är fel."


def wrap(text: str, width: int = 76, indent: str = "") -> str:
    """Greedy word wrap for the plain-text part; `indent` starts each continuation line.

    Jinja's wordwrap goes through textwrap, which took half the time of a 10,000-digest
    sweep; this does the same for plain prose, and returns short text untouched.
    """
    rest = " ".join(text.split())
    lines: list[str] = []
    while len(rest) > width:
        cut = rest.rfind(" ", 0, width + 1)
        if cut <= 0:  # a word longer than the line (a URL): keep it whole
            cut = rest.find(" ", width)
            if cut == -1:
                break
        lines.append(rest[:cut])
        rest = rest[cut + 1 :]
    lines.append(rest)
    return ("\n" + indent).join(lines)


def _lines(text: str) -> list[str]:
    """The lines as written, trimmed, with a run of empty lines as one (a paragraph break)."""
    out: list[str] = []
    for line in str(text).strip().splitlines():
        line = line.strip()
        if line or (out and out[-1]):
            out.append(line)
    return out


def wrap_lines(text: str, width: int = 76, indent: str = "") -> str:
    """What a person wrote, for the plain-text part: each of their lines wrapped as `wrap`
    does, their line breaks and paragraphs kept."""
    wrapped = [wrap(line, width, indent) if line else "" for line in _lines(text)]
    return "\n".join(indent + w if w and i else w for i, w in enumerate(wrapped))


def html_lines(text: str) -> Markup:
    """What a person wrote, for the HTML part: escaped, with their line breaks kept."""
    return Markup("<br>").join(escape(line) for line in _lines(text))


@cache
def environment() -> Environment:
    # Autoescape by file name: the .html templates are escaped, the .txt ones are not.
    env = Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        # Templates ship with the package; checking the file on every use cost a stat()
        # per message.
        auto_reload=False,
    )
    env.filters["datum"] = long_date
    env.filters["oneline"] = lambda s: " ".join(str(s).split())
    env.filters["wrap"] = wrap
    env.filters["wrap_lines"] = wrap_lines
    env.filters["lines"] = html_lines
    env.globals["greeting"] = swedish.greeting
    return env


def _render(
    template: str, d: Digest | Summary | OwnerMail | LoginMail, reply_to: str = ""
) -> OutgoingMessage:
    """The message from `template`.txt and .html, both given the same data as `d`."""
    env = environment()
    context = {"d": d}
    return OutgoingMessage(
        to=d.to,
        subject=d.subject,
        text=env.get_template(f"{template}.txt").render(context),
        html=env.get_template(f"{template}.html").render(context),
        reply_to=reply_to,
    )


def render_digest(digest: Digest) -> OutgoingMessage:
    return _render("digest", digest, digest.reply_to)


@dataclass(frozen=True)
class SummaryEntry:
    """One thing an owner reported on an åtgärd."""

    number: int
    action: str
    owner: str
    # When, as the reader reads it: "onsdag 10 januari 2018 kl. 14.05".
    at: str
    # What changed: "Läget ändrat till Klar (från Pågår)", or "Nytt processläge".
    what: str
    # The processläge written with it, if any.
    text: str = ""
    # The item's page, where the chef acts on the report, and what the link says.
    link: str = ""
    link_label: str = ""


@dataclass(frozen=True)
class SummarySection:
    """The entries of one plan."""

    plan: str
    entries: tuple[SummaryEntry, ...]


@dataclass(frozen=True)
class Summary:
    to: str
    name: str
    subject: str
    intro: str
    sections: tuple[SummarySection, ...]
    site_url: str = ""
    footer: str = field(
        default="Det här är en automatisk sammanfattning från systemet för åtgärdsplaner. "
        "Du kan stänga av den på din egen sida under Personer."
    )


def render_summary(summary: Summary) -> OutgoingMessage:
    return _render("summary", summary)


@dataclass(frozen=True)
class OwnerItem:
    """One åtgärd an owner's mail tells of."""

    text: str
    tidsplan: str = ""
    # Where it came from: the protokoll and punkt it was decided in, the granskning's
    # rekommendationer it answers.
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class OwnerMail:
    """The mail with an owner's link: on assignment, of one åtgärd or a list; or the link
    sent again, to one åtgärd or (without items) to all theirs."""

    to: str
    name: str
    subject: str
    url: str
    # How many days the link is valid.
    days: int
    items: tuple[OwnerItem, ...] = ()
    # The plan's title, when the items are of one plan.
    plan: str = ""
    assigned: bool = False
    # Who gave the åtgärder, by name and address; "" when nobody is known to have.
    assigned_by: str = ""
    assigned_by_email: str = ""
    # The owner's buttons on the items, as examples ('”Starta” eller ”Slutför”'); "" for none.
    examples: str = ""
    reply_to: str = ""
    # What the items are called, by their workflows' nouns (a kontroll is not an åtgärd): one
    # item as it is introduced, as the owner's, named, and its pronoun ("ett beslut", "ditt
    # beslut", "beslutet", "det"); a list counted ("2 åtgärder och 1 kontroll"); and the
    # owner's items together, after "dina" ("åtgärder och kontroller").
    item: str = "en åtgärd"
    your_item: str = "din åtgärd"
    the_item: str = "åtgärden"
    it: str = "den"
    counted: str = ""
    kinds: str = "åtgärder"
    # Kontrollmoment of an internkontrollplan given to the owner with the items (a hand-over),
    # each as a line ("Attestkontroll, mars och oktober – Internkontrollplan 2018 – …"): not
    # reached by the link, their controls come to the owner as they are opened.
    points: tuple[str, ...] = ()


def render_owner_mail(mail: OwnerMail) -> OutgoingMessage:
    """An assignment of several åtgärder (or of kontrollmoment) is a list with the link to all;
    otherwise the mail is about the one åtgärd, or about the link alone."""
    several = len(mail.items) > 1 or bool(mail.points)
    return _render("owner_assigned" if several else "owner_link", mail, mail.reply_to)


@dataclass(frozen=True)
class LoginMail:
    to: str
    name: str
    subject: str
    url: str
    # How many minutes the link is valid.
    minutes: int


def render_login_mail(mail: LoginMail) -> OutgoingMessage:
    return _render("login_link", mail)
