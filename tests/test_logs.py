"""Structured log lines: every state change, mail outcome and rejected link, with no tokens,
bodies or addresses in them."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import pytest

from notifications import OutgoingMessage
from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tracker.app import App
from tracker.links import LinkInvalid, LinkPurpose
from tracker.logs import JsonFormatter
from tracker.models import Person
from tracker.services import actions, people, plans
from tracker.services.access import resolve_link
from tracker.services.dispatch import send_outbox
from tracker.services.outbox import enqueue
from tracker.web.links import owner_token, signer_for

T0 = datetime(2018, 1, 10, 6, 0, tzinfo=b.UTC)


@pytest.fixture
def lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    caplog.set_level(logging.INFO, logger="tracker")
    captured: list[dict[str, object]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(json.loads(JsonFormatter().format(record)))

    handler = Collect()
    logging.getLogger("tracker").addHandler(handler)
    yield captured
    logging.getLogger("tracker").removeHandler(handler)


def test_a_state_change_is_logged_once_committed(
    app: App, now: datetime, chef: Person, lines: list[dict[str, object]]
) -> None:
    with app.transaction() as s:
        plan = plans.create_plan(s, now=now, title="P", forvaltning=chef.forvaltning)
        area = plans.ensure_area(s, plan, "Område")
        owner = people.ensure_person(s, "anna@pitea.example", now=now, name="Anna")
        action = plans.add_action(s, app.registry, area, now=now, text="Å", owner=owner)
    assert action.id is not None
    with pytest.raises(RuntimeError), app.transaction() as s:
        actions.move(s, app.registry, action.id, "starta", owner, now=now)
        raise RuntimeError("rolled back")
    assert [x for x in lines if x["event"] == "action.changed"] == []
    with app.transaction() as s:
        actions.move(s, app.registry, action.id, "starta", owner, now=now)
    [line] = [x for x in lines if x["event"] == "action.changed"]
    assert line["action_id"] == action.id
    assert (line["from_state"], line["to_state"], line["actor_id"]) == (
        "ej_paborjat",
        "pagar",
        owner.id,
    )
    assert "anna@pitea.example" not in json.dumps(lines)


def test_a_rejected_link_is_logged_without_the_token(
    app: App, now: datetime, chef: Person, lines: list[dict[str, object]]
) -> None:
    token = owner_token(app.settings, chef, now=now)
    signer = signer_for(app.settings)
    with app.transaction() as s, pytest.raises(LinkInvalid):
        resolve_link(s, signer, LinkPurpose.owner, token, now=now + timedelta(days=31))
    with app.transaction() as s, pytest.raises(LinkInvalid):
        resolve_link(s, signer, LinkPurpose.owner, token[:-2] + "xx", now=now)
    rejected = [x for x in lines if x["event"] == "link.rejected"]
    assert [x["reason"] for x in rejected] == ["Länken har gått ut.", "Länken är ogiltig."]
    assert token not in json.dumps(lines)
    assert token.split(".")[0] not in json.dumps(lines)


def test_mail_sent_and_failed_are_logged_without_addresses(
    app: App, smtp_server: SmtpServer, lines: list[dict[str, object]]
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    smtp_server.refuse["fel@pitea.example"] = "550 5.1.1 <fel@pitea.example>: finns inte"
    with mail.transaction() as s:
        for to in ("ratt@pitea.example", "fel@pitea.example"):
            enqueue(
                s,
                OutgoingMessage(
                    to=to, subject="Hemligt ämne", text="brödtext", html="<p>brödtext</p>"
                ),
                kind="test",
                forvaltning="",
                now=T0,
                domain="pitea.example",
            )
    assert send_outbox(mail, now=T0).attempted == 2
    events = sorted(str(x["event"]) for x in lines if str(x["event"]).startswith("mail."))
    assert events == ["mail.failed", "mail.sent"]
    text = json.dumps(lines, ensure_ascii=False)
    assert "@pitea.example" not in text
    assert "brödtext" not in text and "Hemligt ämne" not in text
