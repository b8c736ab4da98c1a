"""Reading the pages as a browser would: forms, their hidden fields and buttons."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import unescape
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tracker.app import App
from tracker.models import Person
from tracker.services.dispatch import DispatchResult, retry, send_outbox
from tracker.web.links import login_url, owner_url


class MovableClock:
    """The web app's clock in tests: fixed until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # name, value, label
    labels: list[str] = field(default_factory=list)

    def data(self, **values: str) -> dict[str, str]:
        return {**self.fields, **values}


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._button: tuple[str, str] | None = None
        self._label = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select:
            # The first option, or the selected one, is what a browser sends.
            if self._select not in self._form.fields or "selected" in a:
                self._form.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._text = []
        elif tag == "button":
            self._button = (a.get("name", ""), a.get("value", ""))
            self._text = []
        elif tag == "label":
            self._label = True
            self._text = []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif self._form is None:
            return
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._form.fields[self._textarea] = "".join(self._text)
            self._textarea = None
        elif tag == "button" and self._button:
            label = " ".join("".join(self._text).split())
            self._form.buttons.append((*self._button, label))
            self._button = None
        elif tag == "label" and self._label:
            self._form.labels.append(" ".join("".join(self._text).split()))
            self._label = False


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_to(html: str, action_part: str) -> Form:
    found = [f for f in forms(html) if action_part in f.action and f.method == "post"]
    assert found, f"no POST form to {action_part!r} on the page"
    return found[0]


def href_to(html: str, part: str) -> str:
    """The first link on the page whose address holds `part`, as a browser would follow it."""
    found = re.findall(r'href="([^"]*' + re.escape(part) + r'[^"]*)"', html)
    assert found, f"no link to {part!r} on the page"
    return unescape(found[0])


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def owner_path(app: App, person: Person, now: datetime, action_id: int | None = None) -> str:
    return path_of(owner_url(app.settings, person, now=now, action_id=action_id))


def text_of(html: str) -> str:
    """The page's words, tags dropped and whitespace squeezed, to search in."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def log_in(client: TestClient, app: App, person: Person, now: datetime) -> None:
    page = client.get(path_of(login_url(app.settings, person, now=now)))
    assert page.status_code == 200, page.text
    form = form_to(page.text, "/logga-in/")
    done = client.post(form.action, data=form.data(), follow_redirects=False)
    assert done.status_code == 303, done.text


def refuse_for_good(
    app: App, smtp_server: SmtpServer, clock: MovableClock, address: str
) -> DispatchResult:
    """Five minutes on, the outbox is sent and the server refuses `address` for good."""
    smtp_server.refuse[address] = "550 5.1.1 Mottagaren finns inte"
    clock.advance(minutes=5)
    return send_outbox(b.with_smtp(app, smtp_server.port), now=clock())


def retry_and_deliver(
    app: App, smtp_server: SmtpServer, clock: MovableClock, address: str
) -> DispatchResult:
    """Ten minutes on, `address` is accepted again and every failed message is sent again from
    the outbox, as the chef's "Skicka igen" does."""
    del smtp_server.refuse[address]
    clock.advance(minutes=10)
    with app.transaction() as s:
        assert retry(s, None, now=clock()) >= 1
    return send_outbox(b.with_smtp(app, smtp_server.port), now=clock())


def reason_beside(html: str, box: str, opening: str) -> str:
    """The reason a refused form gives beside one box (`box`: its id; `opening`: where the
    box's question starts, its label or legend): said between the question and the box, and
    tied to the box with aria-describedby and aria-invalid. Any other box is not invalid."""
    reason_id = f"{box}-fel"
    tags = [t for t in re.findall(r"<(?:textarea|input)\b[^>]*>", html) if "aria-invalid" in t]
    assert tags, "no box is marked invalid"
    for tag in tags:
        assert 'aria-invalid="true"' in tag and f'aria-describedby="{reason_id}"' in tag, tag
    question = html.index(opening)
    said = html.index(f'id="{reason_id}"')
    first_box = html.index(tags[0])
    assert question < said < first_box, "the reason stands between the question and its box"
    found = re.search(rf'<p[^>]*id="{reason_id}"[^>]*>(.*?)</p>', html, re.DOTALL)
    assert found
    return text_of(found.group(1))
