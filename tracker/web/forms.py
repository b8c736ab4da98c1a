"""Every form a page posts: the limits on what is accepted, and reading values a person typed
(Swedish messages for what cannot be used).

Two checks hold for every form of the app, whatever its route: a body larger than FORM_LIMIT
(UPLOAD_LIMIT for a file upload) is refused before it is read (FormLimits), and a form with
a NUL character in any of its fields, or a query with one, is refused whole (refuse_nul, a
dependency of the whole app): no database stores it in text (PostgreSQL refuses it, SQLite
keeps it), and nobody types it.

A field longer than its route allows (Form(max_length=...)) is refused with a message that
names the field and its limit in characters (too_long), whatever form it came in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracker.domain.tidsplan import date_problems, year_problem
from tracker.errors import Refused

# The page for a form that is missing a field or has one in the wrong format.
INCOMPLETE_TITLE = "Formuläret är inte komplett"
INCOMPLETE_MESSAGE = "Formuläret saknar en uppgift eller har fel format. Ingenting ändrades."
TOO_LARGE = "Formuläret eller filen är för stor. Ingenting ändrades."

# The longest text a form takes (a processläge, an åtgärd's text), and the largest version.
TEXT_LIMIT = 20_000
VERSION_LIMIT = 2**31
# The largest body: a file upload (a plan of some thousand rows is well under 1 MB), and
# any other form (the longest text, each character up to 9 bytes percent-encoded).
UPLOAD_LIMIT = 10 * 1024 * 1024 + 64 * 1024
FORM_LIMIT = 9 * TEXT_LIMIT + 64 * 1024
# The largest text field of a multipart form. Starlette's own limit (1 MB) answers in English
# without naming the field; with the whole body's limit instead, an overlong field reaches the
# route's max_length and too_long names it. Memory per request is bounded by the body limit
# either way, since many fields under 1 MB each add up to as much.
PART_LIMIT = UPLOAD_LIMIT

TOO_LONG_TITLE = "Formuläret har för lång text"
# What a field is called when it is too long, by its name in the forms. A field not named here
# (a hidden one nobody types in) gets the general wording.
_TOO_LONG_FIELD = {
    "text": "Texten är för lång",
    "tidsplan": "Tidsplanen är för lång",
    "background": "Bakgrunden är för lång",
    "title": "Namnet är för långt",
    "section": "Rubriken är för lång",
    "forvaltning": "Förvaltningens namn är för långt",
    "namnd": "Nämndens namn är för långt",
    "dnr": "Diarienumret är för långt",
    "email": "E-postadressen är för lång",
    "owner_email": "E-postadressen är för lång",
    "name": "Namnet är för långt",
    "owner_name": "Namnet är för långt",
    "as_of": "Datumet är för långt",
}
_TOO_LONG_OTHER = "Ett fält i formuläret är för långt"


class FormRefused(Exception):
    """A form with a NUL character: nothing of it is used."""


class FormLimits:
    """Refuses a request body larger than its limit, by its Content-Length when it gives one
    and as it arrives when it does not, with a 413 that the app's error pages answer.
    (FastAPI's own max_body_size answers in plain English text.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = UPLOAD_LIMIT if multipart else FORM_LIMIT
        declared = headers.get(b"content-length", b"")
        size = int(declared) if declared.isdigit() else 0

        async def limited() -> Message:
            # Raised while the route reads its body: FastAPI passes an HTTPException on.
            nonlocal size
            if size > limit:
                raise HTTPException(status_code=413, detail=TOO_LARGE)
            message = await receive()
            if not declared.isdigit():
                size += len(message.get("body", b""))
                if size > limit:
                    raise HTTPException(status_code=413, detail=TOO_LARGE)
            return message

        await self.app(scope, limited, send)


@dataclass(frozen=True)
class Kept:
    """A text typed in a field over its limit, with what the box it is shown in is called:
    the field, its length and how much is to go ("Texten är för lång: 20 001 tecken, 1 för
    många")."""

    label: str
    text: str


@dataclass(frozen=True)
class TooLong:
    """The page's message for fields over their limits, and the texts typed in them."""

    message: str
    kept: list[Kept]


def too_long(errors: Sequence[Any]) -> TooLong | None:
    """The Swedish message for a form whose fields are over their limits (FastAPI's validation
    errors of type string_too_long), or None if no field is."""
    found = [e for e in errors if isinstance(e, dict) and e.get("type") == "string_too_long"]
    if not found:
        return None
    sentences: list[str] = []
    kept: list[Kept] = []
    for error in found:
        name = str(error.get("loc", ("",))[-1])
        limit = int(error.get("ctx", {}).get("max_length", 0))
        what = _TOO_LONG_FIELD.get(name, _TOO_LONG_OTHER)
        typed = error.get("input")
        over = f" Du skrev {_over(len(typed), limit)}." if isinstance(typed, str) else ""
        sentences.append(f"{what}: högst {_count(limit)} tecken.{over}")
        # Only what a person typed in a named field, and no more than a plain form can carry:
        # the page is not to echo a megabyte sent as a file upload's field.
        if name in _TOO_LONG_FIELD and isinstance(typed, str) and len(typed) <= FORM_LIMIT:
            kept.append(Kept(f"{what}: {_over(len(typed), limit)}", typed))
    return TooLong(" ".join([*sentences, "Ingenting ändrades."]), kept)


def _over(length: int, limit: int) -> str:
    return f"{_count(length)} tecken, {_count(length - limit)} för många"


def _count(n: int) -> str:
    # Swedish groups thousands with a (no-break) space: 20 000.
    return f"{n:,}".replace(",", "\u00a0")


def page_of_form(path: str, routes: Sequence[BaseRoute]) -> str | None:
    """The page a refused form is to be sent again from: the nearest of the app's pages
    (`routes`) at or above the address it was posted to (`path`): "/atgarder/5/andra" ->
    "/atgarder/5", "/ansvarig/<länk>/atgard/5" -> "/ansvarig/<länk>". Only a path of the
    app's own pages, never one taken from the request's headers (the pages send no Referer,
    and a link back must not lead elsewhere)."""
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        above = "/".join(parts)
        if any(_shows(route, above) for route in routes):
            return above
        parts.pop()
    return None


def _shows(route: BaseRoute, path: str) -> bool:
    # A mount (static files, the read API) is no page a form is on.
    if isinstance(route, Mount):
        return False
    match, _ = route.matches({"type": "http", "path": path, "method": "GET"})
    return match is Match.FULL


async def refuse_nul(request: Request) -> None:
    """A dependency of every route: a query or a posted form with a NUL character anywhere
    is refused. (FastAPI has parsed the body by now; request.form() hands back that parse.)"""
    if any("\x00" in part for item in request.query_params.multi_items() for part in item):
        raise FormRefused("NUL")
    if request.method in ("GET", "HEAD"):
        return
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return
    # The app's part limit for a route with no form of its own, where this is the first parse.
    form = await request.form(max_part_size=PART_LIMIT)
    if any(isinstance(value, str) and "\x00" in value for _, value in form.multi_items()):
        raise FormRefused("NUL")
    if any("\x00" in name for name in form):
        raise FormRefused("NUL")


def parse_date(value: str, label: str) -> date | None:
    """An optional ÅÅÅÅ-MM-DD date (what <input type="date"> sends)."""
    text = value.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Refused(f"{label}: skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2018-03-31.") from None
    if problem := year_problem(day, text):
        raise Refused(f"{label}: {problem}.")
    return day


def checked_dates(
    message: str, tidsplan: str, due_on: date | None, evaluate_on: date | None
) -> str:
    """The message that an åtgärd's dates were saved, with what to look at in them (they
    are saved as given, as an import saves them with a warning)."""
    problems = date_problems(tidsplan, due_on, evaluate_on)
    if not problems:
        return message
    return f"{message} Kontrollera datumen: {'; '.join(problems)}."


def required(value: str, label: str) -> str:
    text = value.strip()
    if not text:
        raise Refused(f"{label} måste fyllas i.")
    return text


def within(value: str, limit: int, what: str) -> str:
    """`value`, if it is at most `limit` characters; else Refused, starting with `what` ("Rubriken
    ovanför är för lång"), so that field_of ties it to its box."""
    if len(value) > limit:
        raise Refused(f"{what}: högst {_count(limit)} tecken.")
    return value


@dataclass(frozen=True)
class FormError:
    """A refusal shown in the form it came from (`form`, an id on the page), tied to the
    field it is about (`field`) with aria-describedby (audits/fields.html `described`)."""

    message: str
    form: str
    field: str = ""
    # When a refusal is about several boxes at once (Refused.fields): each of them.
    fields: frozenset[str] = frozenset()

    @classmethod
    def of(cls, refused: Refused, form: str) -> FormError:
        """A service's refusal in `form`: about the boxes it names, else the one its message
        starts with (field_of)."""
        if refused.fields:
            return cls(refused.message, form, fields=frozenset(refused.fields))
        return cls(refused.message, form, field_of(refused.message))


def field_of(message: str) -> str:
    """The form field a service's refusal is about, by the label it starts with: the same
    labels on the granskning's forms, on every form that makes an åtgärd and on the
    internkontrollplan's."""
    starts = {
        # people.ensure_person's refusals, about a new åtgärd's owner; before "Namn", which
        # "Namnet innehåller" also starts with.
        "Ogiltig e-postadress": "owner_email",
        "Skriv en e-postadress": "owner_email",
        "E-postadressen": "owner_email",
        "Domänen": "owner_email",
        "Namnet innehåller": "owner_name",
        "Granskningens namn": "title",
        "Planens namn": "title",
        "Planen har redan ett utvecklingsområde": "title",
        "Förvaltningens namn": "forvaltning",
        "Diarienumret": "dnr",
        "Utvecklingsområdets namn": "title",
        "Rubriken ovanför": "section",
        "Det finns redan": "title",
        "Namn": "title",
        "Datum": "report_on",
        "Revisorernas e-post": "recipient_email",
        "Revisor": "auditor",
        "Dnr": "dnr",
        "Nämnd": "namnd",
        "Du kan bara": "forvaltning",
        "Rekommendationen": "text",
        "Yttrandet": "response",
        "Åtgärden": "text",
        "Klart till": "due_on",
        "Utvärderas": "evaluate_on",
        "Välj ett utvecklingsområde": "area_id",
        "Välj en åtgärd": "action_id",
        # The internkontrollplan's forms (tracker.services.internal_control).
        "Processen": "process",
        "Risken": "risk",
        "Sannolikhet": "likelihood",
        "Konsekvens": "consequence",
        "Kontrollmomentet": "text",
        "Metoden": "method",
        "Frekvens": "frequency",
    }
    return next((f for s, f in starts.items() if message.startswith(s)), "")


def optional_int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


# The boxes of a transition's fields are named "svar_<field id>" (macros.update_forms).
ANSWER_PREFIX = "svar_"


async def form_answers(request: Request) -> dict[str, str]:
    """The answers a form gives to a transition's fields, by field id (a dependency: the
    fields are the workflow file's, not the route's). Starlette keeps the parsed form, so
    this reads the body the route's own Form fields were read from."""
    form = await request.form()
    answers: dict[str, str] = {}
    for key, value in form.multi_items():
        if key.startswith(ANSWER_PREFIX) and isinstance(value, str):
            if len(value) > TEXT_LIMIT:
                raise Refused(
                    f"Ett svar är för långt: högst {TEXT_LIMIT:,} tecken.".replace(",", " ")
                )
            answers[key.removeprefix(ANSWER_PREFIX)] = value
    return answers
