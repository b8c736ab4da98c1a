"""Who may use which page: every route of the app, from the app's own route list, as an admin,
the chef of the plan's förvaltning, a chef of another förvaltning, the board's reader, an
owner and someone anonymous. A route added without a rule here fails the first test.

The requests are made so that an allowed person gets a page or a refusal of the form itself
(a missing field, a stale version), never a change that would spoil the next request: the
person's rights are checked before the form is read, so a forbidden person is told so
whatever the form holds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import col, select
from starlette.routing import Mount

from notifications import OutgoingMessage
from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, log_in, owner_path, path_of
from tracker.app import App
from tracker.domain.meetings import MeetingRow
from tracker.models import AuditDocument, ControlPoint, ControlRisk, Meeting, Person, Role
from tracker.services import (
    absences,
    api_tokens,
    audits,
    indicators,
    internal_control,
    meetings,
    people,
    plan_settings,
    protokoll,
    reports,
)
from tracker.services import plans as plan_service
from tracker.services.outbox import enqueue
from tracker.web.links import acknowledge_url
from tracker.web.main import create_app
from tracker.web.security import derived_key, owner_csrf

CONTROL_PLAN = Path(__file__).resolve().parents[2] / "examples" / "internkontroll-skola.csv"
# A new nämnd for each walk: a nämnd has one internkontrollplan a year.
_BOARDS = itertools.count(1)
_WEEKS = itertools.count(0)
OTHER_FORVALTNING = "Kultur- och fritidsförvaltningen"
PERSONAS = ["admin", "chef", "other_chef", "board", "owner", "anonymous"]

# What each rule lets each persona do: "ok" (a page, or the form's own refusal), "denied"
# (403, or 404 for something of another förvaltning), "login" (sent to log in). A public
# page gives everyone the same (Case.same_for_all).
EXPECTED: dict[str, dict[str, str]] = {
    # The signed link decides, never a log-in.
    "link": dict.fromkeys(PERSONAS, "ok"),
    "logged_in": {
        "admin": "ok",
        "chef": "ok",
        "other_chef": "ok",
        "board": "ok",
        "owner": "login",
        "anonymous": "login",
    },
    "editor": {
        "admin": "ok",
        "chef": "ok",
        "other_chef": "ok",
        "board": "denied",
        "owner": "login",
        "anonymous": "login",
    },
    "read_plan": {
        "admin": "ok",
        "chef": "ok",
        "other_chef": "denied",
        "board": "ok",
        "owner": "login",
        "anonymous": "login",
    },
    "edit_plan": {
        "admin": "ok",
        "chef": "ok",
        "other_chef": "denied",
        "board": "denied",
        "owner": "login",
        "anonymous": "login",
    },
    # The read API: a token lets one in, never a log-in (401 for everyone without one).
    "token": dict.fromkeys(PERSONAS, "unauthorized"),
    # A chef's own absence: the chef themselves, or an admin (roles.may_register_absence).
    "own_absence": {
        "admin": "ok",
        "chef": "ok",
        "other_chef": "denied",
        "board": "denied",
        "owner": "login",
        "anonymous": "login",
    },
    "admin": {
        "admin": "ok",
        "chef": "denied",
        "other_chef": "denied",
        "board": "denied",
        "owner": "login",
        "anonymous": "login",
    },
}


@dataclass
class Ids:
    plan: int
    action: int
    owner: int
    report: int
    message: int
    owner_link: str
    area: int = 0
    # A cancelled meeting on a day its nämnd has a planned one: cancelling it again and
    # restoring it are both refused by the rules, so walking the routes changes nothing.
    meeting: int = 0
    # The chef's link to acknowledge an escalation of `action`, and its form's CSRF token.
    acknowledge_link: str = ""
    acknowledge_csrf: str = ""
    # A granskning of the chef's förvaltning with a rekommendation and an issued document,
    # and one with no rekommendation: issuing it is refused by the rules.
    audit: int = 0
    recommendation: int = 0
    audit_document: int = 0
    empty_audit: int = 0
    # A protokoll of the chef's förvaltning with no drafted decisions: nothing to confirm.
    protokoll: int = 0
    # An internkontrollplan of the chef's förvaltning, one of its risks and a kontrollmoment.
    control_plan: int = 0
    control_risk: int = 0
    control_point: int = 0
    # A revoked API token: revoking it again is refused by the rules.
    api_token: int = 0
    # An indicator of `action` with a measured value.
    indicator: int = 0
    value: int = 0
    absence: int = 0


@dataclass(frozen=True)
class Case:
    rule: str
    url: Callable[[Ids], str]
    form: dict[str, str] | None = None  # a POST with these fields (and the CSRF token)
    same_for_all: str = "ok"  # for a public page: what everyone gets

    def expected(self, persona: str) -> str:
        return self.same_for_all if self.rule == "public" else EXPECTED[self.rule][persona]


# Every route of the app: (method, path as declared) -> how to call it and the rule it keeps.
# In the order they are walked: the ones that end a session or cut links come last.
ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/"): Case("logged_in", lambda i: "/"),
    ("GET", "/logga-in"): Case("public", lambda i: "/logga-in"),
    ("POST", "/logga-in"): Case("public", lambda i: "/logga-in", {"email": "x@pitea.example"}),
    ("GET", "/logga-in/{token}"): Case("public", lambda i: "/logga-in/ogiltig", None, "denied"),
    ("POST", "/logga-in/{token}"): Case("public", lambda i: "/logga-in/ogiltig", {}, "denied"),
    # Single sign-on is off here: its pages say so (404) to everyone.
    ("GET", "/logga-in/sso"): Case("public", lambda i: "/logga-in/sso", None, "denied"),
    ("GET", "/logga-in/sso/svar"): Case(
        "public", lambda i: "/logga-in/sso/svar?state=x&code=y", None, "denied"
    ),
    ("GET", "/lank/ny"): Case("public", lambda i: "/lank/ny"),
    ("POST", "/lank/ny"): Case("public", lambda i: "/lank/ny", {"email": "x@pitea.example"}),
    ("GET", "/dev/mail"): Case("public", lambda i: "/dev/mail"),
    # The published plans and the tillgänglighetsredogörelse: the same for everyone, logged in
    # or not. The walk's plan is published; its återrapport is a draft, which nobody gets.
    ("GET", "/oppet/planer"): Case("public", lambda i: "/oppet/planer"),
    ("GET", "/oppet/planer/{plan_id}"): Case("public", lambda i: f"/oppet/planer/{i.plan}"),
    ("GET", "/oppet/planer/{plan_id}/aterrapporter/{report_id}/dokument.{fmt}"): Case(
        "public",
        lambda i: f"/oppet/planer/{i.plan}/aterrapporter/{i.report}/dokument.pdf",
        None,
        "denied",
    ),
    ("GET", "/tillganglighet"): Case("public", lambda i: "/tillganglighet"),
    ("GET", "/halsa"): Case("public", lambda i: "/halsa"),
    ("GET", "/dev/mail/{name}"): Case("public", lambda i: "/dev/mail/ingen.eml", None, "denied"),
    ("GET", "/ansvarig/{token}"): Case("link", lambda i: i.owner_link),
    ("POST", "/ansvarig/{token}/atgard/{segment}"): Case(
        # An empty processläge: refused by the rules, after the link has been checked.
        "link",
        lambda i: f"{i.owner_link}/atgard/{i.action}",
        {"version": "1", "text": ""},
    ),
    ("GET", "/kvittera/{token}"): Case("link", lambda i: i.acknowledge_link),
    # Nothing to acknowledge: refused, after the link has been checked.
    ("POST", "/kvittera/{token}"): Case("link", lambda i: i.acknowledge_link, {"comment": ""}),
    ("POST", "/eskaleringar/{action_id}/kvittera"): Case(
        "edit_plan", lambda i: f"/eskaleringar/{i.action}/kvittera", {"comment": ""}
    ),
    ("GET", "/eskaleringsnivaer"): Case("editor", lambda i: "/eskaleringsnivaer"),
    ("GET", "/franvaro"): Case("editor", lambda i: "/franvaro"),
    # No deputy given: refused by the rules, after the role has been checked.
    ("POST", "/franvaro"): Case("editor", lambda i: "/franvaro", {"deputy": ""}),
    ("POST", "/franvaro/{absence_id}/ta-bort"): Case(
        "own_absence", lambda i: f"/franvaro/{i.absence}/ta-bort", {}
    ),
    # No level given: refused by the rules, after the role has been checked.
    ("POST", "/eskaleringsnivaer"): Case("admin", lambda i: "/eskaleringsnivaer", {"level": ""}),
    ("GET", "/planer"): Case("logged_in", lambda i: "/planer"),
    ("GET", "/aterrapporter"): Case("logged_in", lambda i: "/aterrapporter"),
    ("GET", "/sammantraden"): Case("logged_in", lambda i: "/sammantraden"),
    ("GET", "/sammantraden/{meeting_id}"): Case(
        "logged_in", lambda i: f"/sammantraden/{i.meeting}"
    ),
    # The sammanträdesplan is kept by admins and chefs of any förvaltning (may_edit_calendar);
    # each form is refused by the rules after the role has been checked.
    ("POST", "/sammantraden"): Case("editor", lambda i: "/sammantraden", {"datum": "x"}),
    ("POST", "/sammantraden/import"): Case("editor", lambda i: "/sammantraden/import", {}),
    ("POST", "/sammantraden/{meeting_id}"): Case(
        "editor", lambda i: f"/sammantraden/{i.meeting}", {"datum": "inte ett datum"}
    ),
    ("POST", "/sammantraden/{meeting_id}/installa"): Case(
        "editor", lambda i: f"/sammantraden/{i.meeting}/installa", {}
    ),
    ("POST", "/sammantraden/{meeting_id}/aterstall"): Case(
        "editor", lambda i: f"/sammantraden/{i.meeting}/aterstall", {}
    ),
    # Decisions from a protokoll: chefs and admins (may_draft_from_minutes); a protokoll
    # uploaded is its förvaltning's, as a plan. No text, or nothing kept: refused by the rules.
    ("GET", "/protokoll"): Case("editor", lambda i: "/protokoll"),
    ("POST", "/protokoll"): Case("editor", lambda i: "/protokoll", {"body": ""}),
    ("GET", "/protokoll/{protokoll_id}"): Case("edit_plan", lambda i: f"/protokoll/{i.protokoll}"),
    ("POST", "/protokoll/{protokoll_id}"): Case(
        "edit_plan",
        lambda i: f"/protokoll/{i.protokoll}",
        {"version": "1", "count": "0", "do": "bekrafta"},
    ),
    # Granskningar are their förvaltning's, as a plan (may_read_audit, may_edit_audit); each
    # form is refused by the rules (no name, no text, no åtgärd) after the right is checked.
    ("GET", "/granskningar"): Case("logged_in", lambda i: "/granskningar"),
    # Internkontrollplaner are their förvaltning's, as a plan (may_read_control_plan,
    # may_edit_control_plan); the list shows each person what they may read. An upload
    # without a file or year is refused by the rules after the role has been checked.
    ("GET", "/internkontroll"): Case("logged_in", lambda i: "/internkontroll"),
    ("POST", "/internkontroll"): Case("editor", lambda i: "/internkontroll", {"namnd": ""}),
    ("GET", "/internkontroll/{plan_id}"): Case(
        "read_plan", lambda i: f"/internkontroll/{i.control_plan}"
    ),
    # Drafting the follow-up to the nämnd: the plan's editors; a date that is none is
    # refused by the rules after the right is checked.
    ("POST", "/internkontroll/{plan_id}/uppfoljning"): Case(
        "edit_plan",
        lambda i: f"/internkontroll/{i.control_plan}/uppfoljning",
        {"as_of": "inte ett datum"},
    ),
    # Next year's plan and re-assessing the risks: the plan's editors. The copy is refused
    # by the rules after the right is checked (the walk's plan for next year exists: the
    # admin's copy made it), and an assessment off the scale likewise.
    ("POST", "/internkontroll/{plan_id}/nasta-ar"): Case(
        "edit_plan", lambda i: f"/internkontroll/{i.control_plan}/nasta-ar", {}
    ),
    ("GET", "/internkontroll/{plan_id}/risker"): Case(
        "edit_plan", lambda i: f"/internkontroll/{i.control_plan}/risker"
    ),
    ("POST", "/internkontroll/{plan_id}/risker"): Case(
        "edit_plan",
        lambda i: f"/internkontroll/{i.control_plan}/risker",
        {"s_1": "9", "k_1": "9"},
    ),
    # A risk or a kontrollmoment by hand, and a kontrollmoment changed: the plan's editors;
    # each form is refused by the rules (no process, no text, a frequency that is none)
    # after the right is checked.
    ("POST", "/internkontroll/{plan_id}/ny-risk"): Case(
        "edit_plan", lambda i: f"/internkontroll/{i.control_plan}/ny-risk", {"process": ""}
    ),
    ("POST", "/internkontroll/{plan_id}/risker/{risk_id}/kontrollmoment"): Case(
        "edit_plan",
        lambda i: f"/internkontroll/{i.control_plan}/risker/{i.control_risk}/kontrollmoment",
        {"text": ""},
    ),
    # Who answers for a risk's handling: the plan's editors; an address that is none is
    # refused by the rules after the right is checked.
    ("POST", "/internkontroll/{plan_id}/risker/{risk_id}/hantering"): Case(
        "edit_plan",
        lambda i: f"/internkontroll/{i.control_plan}/risker/{i.control_risk}/hantering",
        {"owner_email": "inte en adress"},
    ),
    ("POST", "/internkontroll/{plan_id}/kontrollmoment/{point_id}"): Case(
        "edit_plan",
        lambda i: f"/internkontroll/{i.control_plan}/kontrollmoment/{i.control_point}",
        {"frequency": "vid behov"},
    ),
    ("POST", "/granskningar"): Case("editor", lambda i: "/granskningar", {"namn": ""}),
    ("POST", "/granskningar/import"): Case("editor", lambda i: "/granskningar/import", {}),
    ("GET", "/granskningar/{audit_id}"): Case("read_plan", lambda i: f"/granskningar/{i.audit}"),
    ("POST", "/granskningar/{audit_id}"): Case(
        "edit_plan", lambda i: f"/granskningar/{i.audit}", {"namn": ""}
    ),
    ("POST", "/granskningar/{audit_id}/rekommendationer"): Case(
        "edit_plan", lambda i: f"/granskningar/{i.audit}/rekommendationer", {"text": ""}
    ),
    ("POST", "/granskningar/{audit_id}/rekommendationer/{recommendation_id}"): Case(
        "edit_plan",
        lambda i: f"/granskningar/{i.audit}/rekommendationer/{i.recommendation}",
        {"text": ""},
    ),
    ("POST", "/granskningar/{audit_id}/rekommendationer/{recommendation_id}/yttrande"): Case(
        "edit_plan",
        lambda i: f"/granskningar/{i.audit}/rekommendationer/{i.recommendation}/yttrande",
        {"yttrande": ""},
    ),
    ("POST", "/granskningar/{audit_id}/rekommendationer/{recommendation_id}/koppla"): Case(
        "edit_plan",
        lambda i: f"/granskningar/{i.audit}/rekommendationer/{i.recommendation}/koppla",
        {"action_id": "0"},
    ),
    ("POST", "/granskningar/{audit_id}/rekommendationer/{recommendation_id}/koppla-bort"): Case(
        "edit_plan",
        lambda i: f"/granskningar/{i.audit}/rekommendationer/{i.recommendation}/koppla-bort",
        {"action_id": "0"},
    ),
    ("POST", "/granskningar/{audit_id}/rekommendationer/{recommendation_id}/ny-atgard"): Case(
        "edit_plan",
        lambda i: f"/granskningar/{i.audit}/rekommendationer/{i.recommendation}/ny-atgard",
        {"area_id": "0", "text": ""},
    ),
    ("GET", "/granskningar/{audit_id}/uppfoljning.{fmt}"): Case(
        "read_plan", lambda i: f"/granskningar/{i.audit}/uppfoljning.html"
    ),
    ("POST", "/granskningar/{audit_id}/utfarda"): Case(
        "edit_plan", lambda i: f"/granskningar/{i.empty_audit}/utfarda", {}
    ),
    ("GET", "/granskningar/{audit_id}/utfardade/{document_id}"): Case(
        "read_plan", lambda i: f"/granskningar/{i.audit}/utfardade/{i.audit_document}"
    ),
    ("GET", "/planer/ny"): Case("editor", lambda i: "/planer/ny"),
    ("POST", "/planer/ny"): Case("editor", lambda i: "/planer/ny", {"title": ""}),
    ("GET", "/planer/import"): Case("editor", lambda i: "/planer/import"),
    ("POST", "/planer/import"): Case("editor", lambda i: "/planer/import", {"title": "x"}),
    ("GET", "/utkorg"): Case("editor", lambda i: "/utkorg"),
    # API tokens are made and revoked by admins (roles.may_manage_api_tokens); a token without a
    # name, or one revoked already, is refused by the rules after the role has been checked.
    ("GET", "/api-nycklar"): Case("admin", lambda i: "/api-nycklar"),
    ("POST", "/api-nycklar"): Case("admin", lambda i: "/api-nycklar", {"namn": ""}),
    ("POST", "/api-nycklar/{token_id}/aterkalla"): Case(
        "admin", lambda i: f"/api-nycklar/{i.api_token}/aterkalla", {}
    ),
    ("GET", "/start"): Case("logged_in", lambda i: "/start"),
    # Each sees their own förvaltning's overview; the admin the whole kommun's.
    ("GET", "/kommunen"): Case("logged_in", lambda i: "/kommunen"),
    ("GET", "/kommunen/export.{kind}"): Case("logged_in", lambda i: "/kommunen/export.csv"),
    ("GET", "/atgarder"): Case("read_plan", lambda i: f"/atgarder?plan={i.plan}&urval=forsenade"),
    ("GET", "/paminnelser"): Case("editor", lambda i: "/paminnelser"),
    ("GET", "/personer"): Case("editor", lambda i: "/personer"),
    # No address: refused by the rules for a new person, after the role has been checked.
    ("POST", "/personer"): Case("editor", lambda i: "/personer", {"email": "", "role": "owner"}),
    ("POST", "/utkorg/forsok-igen"): Case("editor", lambda i: "/utkorg/forsok-igen", {}),
    ("POST", "/utkorg/{message_id}/forsok-igen"): Case(
        "edit_plan", lambda i: f"/utkorg/{i.message}/forsok-igen", {}
    ),
    ("GET", "/planer/{plan_id}"): Case("read_plan", lambda i: f"/planer/{i.plan}"),
    ("GET", "/planer/{plan_id}/export.{kind}"): Case(
        "read_plan", lambda i: f"/planer/{i.plan}/export.csv"
    ),
    ("GET", "/planer/{plan_id}/aterrapporter"): Case(
        "read_plan", lambda i: f"/planer/{i.plan}/aterrapporter"
    ),
    ("GET", "/atgarder/{action_id}"): Case("read_plan", lambda i: f"/atgarder/{i.action}"),
    ("GET", "/planer/{plan_id}/installningar"): Case(
        "edit_plan", lambda i: f"/planer/{i.plan}/installningar"
    ),
    ("POST", "/planer/{plan_id}/installningar"): Case(
        # An empty title: refused by the rules, after the role has been checked.
        "edit_plan",
        lambda i: f"/planer/{i.plan}/installningar",
        {"title": ""},
    ),
    # No choice given: refused by the rules, after the role has been checked.
    ("POST", "/planer/{plan_id}/publicering"): Case(
        "edit_plan", lambda i: f"/planer/{i.plan}/publicering", {"publicera": ""}
    ),
    ("POST", "/planer/{plan_id}/mottagare"): Case(
        "edit_plan", lambda i: f"/planer/{i.plan}/mottagare", {"adress": "inte en adress"}
    ),
    ("POST", "/planer/{plan_id}/mottagare/ta-bort"): Case(
        "edit_plan", lambda i: f"/planer/{i.plan}/mottagare/ta-bort", {"adress": "x@y.example"}
    ),
    ("POST", "/planer/{plan_id}/omraden"): Case(
        "edit_plan", lambda i: f"/planer/{i.plan}/omraden", {"title": ""}
    ),
    ("POST", "/planer/{plan_id}/atgarder"): Case(
        "edit_plan", lambda i: f"/planer/{i.plan}/atgarder", {"area_id": "0", "text": ""}
    ),
    ("POST", "/planer/{plan_id}/aterrapporter"): Case(
        "edit_plan", lambda i: f"/planer/{i.plan}/aterrapporter", {"as_of": "inte ett datum"}
    ),
    ("POST", "/atgarder/{action_id}/uppdatera"): Case(
        "edit_plan", lambda i: f"/atgarder/{i.action}/uppdatera", {"version": "99"}
    ),
    ("POST", "/atgarder/{action_id}/andra"): Case(
        "edit_plan", lambda i: f"/atgarder/{i.action}/andra", {"version": "99", "text": "x"}
    ),
    ("POST", "/atgarder/{action_id}/ansvarig"): Case(
        "edit_plan", lambda i: f"/atgarder/{i.action}/ansvarig", {"version": "99"}
    ),
    ("POST", "/atgarder/{action_id}/skicka-lank"): Case(
        "edit_plan", lambda i: f"/atgarder/{i.action}/skicka-lank", {}
    ),
    # An åtgärd's indicators: each form refused by the rules (no name, no date, no file)
    # after the right to edit the plan has been checked.
    ("POST", "/atgarder/{action_id}/indikatorer"): Case(
        "edit_plan", lambda i: f"/atgarder/{i.action}/indikatorer", {"name": ""}
    ),
    ("POST", "/atgarder/{action_id}/indikatorer/{indicator_id}/matvarden"): Case(
        "edit_plan",
        lambda i: f"/atgarder/{i.action}/indikatorer/1/matvarden",
        {"measured_on": "", "value": ""},
    ),
    # Correcting an indicator without a name: refused by the rules. The removals' confirmation
    # pages, and posts without the confirmation (which lead to them).
    ("POST", "/atgarder/{action_id}/indikatorer/{indicator_id}/andra"): Case(
        "edit_plan",
        lambda i: f"/atgarder/{i.action}/indikatorer/{i.indicator}/andra",
        {"name": ""},
    ),
    ("GET", "/atgarder/{action_id}/indikatorer/{indicator_id}/ta-bort"): Case(
        "edit_plan", lambda i: f"/atgarder/{i.action}/indikatorer/{i.indicator}/ta-bort"
    ),
    ("POST", "/atgarder/{action_id}/indikatorer/{indicator_id}/ta-bort"): Case(
        "edit_plan", lambda i: f"/atgarder/{i.action}/indikatorer/{i.indicator}/ta-bort", {}
    ),
    (
        "GET",
        "/atgarder/{action_id}/indikatorer/{indicator_id}/matvarden/{value_id}/ta-bort",
    ): Case(
        "edit_plan",
        lambda i: f"/atgarder/{i.action}/indikatorer/{i.indicator}/matvarden/{i.value}/ta-bort",
    ),
    (
        "POST",
        "/atgarder/{action_id}/indikatorer/{indicator_id}/matvarden/{value_id}/ta-bort",
    ): Case(
        "edit_plan",
        lambda i: f"/atgarder/{i.action}/indikatorer/{i.indicator}/matvarden/{i.value}/ta-bort",
        {},
    ),
    ("GET", "/planer/{plan_id}/indikatorer"): Case(
        "edit_plan", lambda i: f"/planer/{i.plan}/indikatorer"
    ),
    ("POST", "/planer/{plan_id}/indikatorer"): Case(
        "edit_plan", lambda i: f"/planer/{i.plan}/indikatorer", {}
    ),
    # The plan page's bulk assignment, with no owner chosen: refused by the rules.
    ("POST", "/planer/{plan_id}/ansvariga"): Case(
        "edit_plan", lambda i: f"/planer/{i.plan}/ansvariga", {"atgard": "1:99"}
    ),
    ("POST", "/atgarder/{action_id}/omrade"): Case(
        "edit_plan", lambda i: f"/atgarder/{i.action}/omrade", {"version": "99", "area_id": "0"}
    ),
    ("GET", "/planer/{plan_id}/omraden/{area_id}"): Case(
        "read_plan", lambda i: f"/planer/{i.plan}/omraden/{i.area}"
    ),
    ("POST", "/planer/{plan_id}/omraden/{area_id}/andra"): Case(
        "edit_plan", lambda i: f"/planer/{i.plan}/omraden/{i.area}/andra", {"title": ""}
    ),
    # A draft is the chef's until it is approved.
    ("GET", "/aterrapporter/{report_id}"): Case(
        "edit_plan", lambda i: f"/aterrapporter/{i.report}"
    ),
    ("GET", "/reports/{report_id}"): Case("edit_plan", lambda i: f"/reports/{i.report}"),
    ("GET", "/aterrapporter/{report_id}/dokument.{fmt}"): Case(
        "edit_plan", lambda i: f"/aterrapporter/{i.report}/dokument.html"
    ),
    # The report walked is a draft: refused by the rules to its editors, hidden from others.
    ("GET", "/aterrapporter/{report_id}/arkivpaket.tar"): Case(
        "edit_plan", lambda i: f"/aterrapporter/{i.report}/arkivpaket.tar"
    ),
    ("GET", "/aterrapporter/{report_id}/godkann"): Case(
        "edit_plan", lambda i: f"/aterrapporter/{i.report}/godkann?version=1"
    ),
    ("GET", "/aterrapporter/{report_id}/skicka"): Case(
        "edit_plan", lambda i: f"/aterrapporter/{i.report}/skicka"
    ),
    ("POST", "/aterrapporter/{report_id}/godkann"): Case(
        "edit_plan", lambda i: f"/aterrapporter/{i.report}/godkann", {"version": "99"}
    ),
    ("POST", "/aterrapporter/{report_id}/skicka"): Case(
        "edit_plan", lambda i: f"/aterrapporter/{i.report}/skicka", {}
    ),
    # The chef's assessment of an internkontroll follow-up: the report walked is an
    # återrapport, which has none, so it is refused by the rules after the right is checked.
    ("POST", "/aterrapporter/{report_id}/bedomning"): Case(
        "edit_plan", lambda i: f"/aterrapporter/{i.report}/bedomning", {"version": "99"}
    ),
    # The owner of the plan's åtgärd: seen and cut off by those who may edit the plan.
    ("GET", "/personer/{person_id}"): Case("edit_plan", lambda i: f"/personer/{i.owner}"),
    ("POST", "/personer/{person_id}/skicka-lank"): Case(
        "edit_plan", lambda i: f"/personer/{i.owner}/skicka-lank", {}
    ),
    # The confirmation pages, and posts without the confirmation (which lead to them).
    ("GET", "/personer/{person_id}/roll"): Case(
        "edit_plan", lambda i: f"/personer/{i.owner}/roll?roll=owner"
    ),
    ("POST", "/personer/{person_id}/roll"): Case(
        "edit_plan", lambda i: f"/personer/{i.owner}/roll", {"roll": "owner"}
    ),
    ("GET", "/personer/{person_id}/aterkalla-lankar"): Case(
        "edit_plan", lambda i: f"/personer/{i.owner}/aterkalla-lankar"
    ),
    ("POST", "/personer/{person_id}/aterkalla-lankar"): Case(
        "edit_plan", lambda i: f"/personer/{i.owner}/aterkalla-lankar", {}
    ),
    # Only an admin moves a person to another förvaltning (roles.may_move_person).
    ("POST", "/personer/{person_id}/forvaltning"): Case(
        "admin", lambda i: f"/personer/{i.owner}/forvaltning", {"forvaltning": "Kultur"}
    ),
    # Renaming someone else follows the role's rule (roles.may_rename).
    # Nobody to hand over to: refused by the rules, after the person has been checked.
    ("POST", "/personer/{person_id}/lamna-over"): Case(
        "edit_plan", lambda i: f"/personer/{i.owner}/lamna-over", {"till": ""}
    ),
    ("POST", "/personer/{person_id}/namn"): Case(
        "edit_plan", lambda i: f"/personer/{i.owner}/namn", {"name": "Anna B. Berg"}
    ),
    # One's own choice, whoever is logged in as an editor; no choice given: refused by the
    # rules, after the role has been checked.
    ("POST", "/personer/mig/dagssammanfattning"): Case(
        "editor", lambda i: "/personer/mig/dagssammanfattning", {"dagssammanfattning": ""}
    ),
    ("POST", "/logga-ut"): Case("public", lambda i: "/logga-ut", {}, "login"),
}


# The read API (tracker.web.api), an app of its own mounted at its prefix: the routes of the
# app above never lead into it, and only a token lets one in (what a token reads is
# tests/web/test_api.py's). An id that names something, so that only the missing token keeps
# each answer away.
API_ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/plans"): Case("token", lambda i: "/api/v1/plans"),
    ("GET", "/api/v1/plans/{plan_id}"): Case("token", lambda i: f"/api/v1/plans/{i.plan}"),
    ("GET", "/api/v1/actions"): Case("token", lambda i: f"/api/v1/actions?plan={i.plan}"),
    ("GET", "/api/v1/actions/{action_id}"): Case("token", lambda i: f"/api/v1/actions/{i.action}"),
    ("GET", "/api/v1/actions/{action_id}/events"): Case(
        "token", lambda i: f"/api/v1/actions/{i.action}/events"
    ),
    ("GET", "/api/v1/reports"): Case("token", lambda i: "/api/v1/reports"),
    ("GET", "/api/v1/reports/{report_id}"): Case("token", lambda i: f"/api/v1/reports/{i.report}"),
    ("GET", "/api/v1/reports/{report_id}/files/{fmt}"): Case(
        "token", lambda i: f"/api/v1/reports/{i.report}/files/pdf"
    ),
    ("GET", "/api/v1/overview"): Case("token", lambda i: "/api/v1/overview"),
}


def api_routes(web: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route of the apps mounted in the web app (the API)."""
    found: set[tuple[str, str]] = set()
    for mount in web.routes:
        if isinstance(mount, Mount) and isinstance(mount.app, FastAPI):
            found.update((method, mount.path + path) for method, path in app_routes(mount.app))
    return found


def app_routes(web: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app answers, from its own route list."""
    found: set[tuple[str, str]] = set()
    for route in web.routes:
        included = getattr(route, "original_router", None)
        for r in included.routes if included is not None else [route]:
            if isinstance(r, APIRoute):
                found.update((method, r.path) for method in r.methods if method != "HEAD")
    return found


@pytest.fixture
def full_web(app: App, clock: MovableClock) -> FastAPI:
    """The app with every route it can have (the development mail pages too), without
    starting the development mail receiver."""
    settings = app.settings.model_copy(update={"dev_mail_receiver": True})
    return create_app(
        App(settings=settings, engine=app.engine, registry=app.registry),
        clock=clock,
        dev_mail_receiver=False,
    )


def test_every_route_has_a_rule(full_web: FastAPI) -> None:
    assert app_routes(full_web) == set(ROUTES)
    assert api_routes(full_web) == set(API_ROUTES)


def _persona(app: App, world: World, clock: MovableClock, name: str) -> Person | None:
    roles = {
        "admin": (Role.admin, ""),
        "other_chef": (Role.chef, OTHER_FORVALTNING),
        "board": (Role.board, world.chef.forvaltning),
    }
    if name == "chef":
        return world.chef
    if name in ("owner", "anonymous"):
        return None  # an owner has a link, not a log-in
    role, forvaltning = roles[name]
    with app.transaction() as s:
        return people.ensure_person(
            s, f"{name}@pitea.example", now=clock(), name=name, role=role, forvaltning=forvaltning
        )


def _ids(app: App, world: World, clock: MovableClock) -> Ids:
    with app.transaction() as s:
        plan = plan_service.get_plan(s, world.plan_id)
        plan_settings.set_published(s, plan, True, now=clock(), actor=None, label="test")
        report = reports.draft_report(
            s,
            app.registry,
            world.plan_id,
            as_of=date(2018, 1, 10),
            now=clock(),
            tz=app.tz,
            draft_days=14,
        )
        message = enqueue(
            s,
            OutgoingMessage(to="anna.berg@pitea.example", subject="Test", text="x", html="x"),
            kind="test",
            forvaltning=world.chef.forvaltning,
            now=clock(),
            domain="pitea.example",
        )
        day = date(2018, 6, 14)
        meetings.import_meetings(
            s,
            [
                MeetingRow(board="Socialnämnden", held_on=day, uid="planerad"),
                MeetingRow(board="Socialnämnden", held_on=day, uid="installt", cancelled=True),
            ],
            lead_days=None,
            now=clock(),
        )
        cancelled = s.exec(select(Meeting.id).where(Meeting.uid == "installt")).one()
        minutes = protokoll.save_protokoll(
            s,
            forvaltning=world.chef.forvaltning,
            body="Ledningsgruppen",
            meeting_on=day,
            title="Ledningsgruppen 2018-06-14",
            text="Inga beslut.",
            filename="",
            drafts=[],
            now=clock(),
            actor=world.chef,
        )
        audit = audits.create_audit(
            s, now=clock(), title=f"Granskning {clock()}", forvaltning=world.chef.forvaltning
        )
        empty_audit = audits.create_audit(
            s, now=clock(), title=f"Tom granskning {clock()}", forvaltning=world.chef.forvaltning
        )
        recommendation = audits.add_recommendation(s, audit, "Förbättra rutinerna")
        issued = AuditDocument(
            audit_id=audit.id or 0,
            number=1,
            format="html",
            filename="uppfoljning.html",
            content_type="text/html; charset=utf-8",
            data=b"<p>x</p>",
            sha256="0" * 64,
            issued_at=clock(),
        )
        s.add(issued)
        s.flush()
        control_plan = internal_control.import_control_plan(
            s,
            app.registry,
            CONTROL_PLAN.read_bytes(),
            CONTROL_PLAN.name,
            namnd=f"Barn- och utbildningsnämnden {next(_BOARDS)}",
            year=2018,
            forvaltning=world.chef.forvaltning,
            now=clock(),
        )
        control_point = s.exec(
            select(ControlPoint)
            .join(ControlRisk)
            .where(ControlRisk.plan_id == control_plan.plan_id)
            .order_by(col(ControlPoint.id))
        ).first()
        assert control_point is not None
        token = api_tokens.create_token(
            s, name="Återkallad", forvaltning="", read_all=True, now=clock()
        ).token
        assert token.id is not None
        api_tokens.revoke_token(s, token.id, now=clock())
        indicator = indicators.add_indicator(s, world.a1, now=clock(), actor=None, name="Andel")
        value = indicators.record_value(
            s, indicator, now=clock(), actor=None, measured_on=date(2018, 1, 1), value=1
        )
        # The chef's own absence, a week of its own each walk (absences may not overlap).
        stand_in = people.ensure_person(
            s, "ersattare@pitea.example", now=clock(), name="Ersättare", role=Role.chef
        )
        first = date(2030, 1, 7) + timedelta(weeks=next(_WEEKS))
        absence = absences.add_absence(
            s,
            world.chef,
            world.chef,
            stand_in,
            starts_on=first,
            ends_on=first + timedelta(days=4),
            now=clock(),
            today=clock().date(),
        )
        assert report.id is not None and message.id is not None and cancelled is not None
        acknowledge = path_of(acknowledge_url(app.settings, world.chef, world.a1, now=clock()))
        return Ids(
            plan=world.plan_id,
            action=world.a1,
            owner=world.anna.id or 0,
            report=report.id,
            message=message.id,
            owner_link=owner_path(app, world.anna, clock()),
            area=world.area_id,
            meeting=cancelled,
            acknowledge_link=acknowledge,
            acknowledge_csrf=owner_csrf(
                derived_key(app.settings.secret_key, "csrf-agare"), acknowledge.rsplit("/", 1)[1]
            ),
            protokoll=minutes.id or 0,
            audit=audit.id or 0,
            recommendation=recommendation.id or 0,
            audit_document=issued.id or 0,
            empty_audit=empty_audit.id or 0,
            control_plan=control_plan.plan_id,
            control_risk=control_point.risk_id,
            control_point=control_point.id or 0,
            api_token=token.id,
            indicator=indicator.id or 0,
            value=value.id or 0,
            absence=absence.id or 0,
        )


def _outcome(status: int, location: str) -> str:
    if status == 303 and location.startswith("/logga-in") and "logga-in/" not in location:
        return "login"
    if status == 401:
        return "unauthorized"
    if status in (403, 404):
        return "denied"
    assert status < 500, status
    return "ok"


@pytest.fixture
def walker(
    full_web: FastAPI, app: App, world: World, clock: MovableClock
) -> Iterator[Callable[[str], dict[tuple[str, str], str]]]:
    def walk(persona: str) -> dict[tuple[str, str], str]:
        person = _persona(app, world, clock, persona)
        ids = _ids(app, world, clock)
        seen: dict[tuple[str, str], str] = {}
        with TestClient(full_web) as client:
            if person is not None:
                log_in(client, app, person, clock())
            csrf = form_to(client.get("/logga-in").text, "/logga-in").fields["csrf"]
            owner_csrf = form_to(client.get(ids.owner_link).text, "/atgard/").fields["csrf"]
            for key, case in {**ROUTES, **API_ROUTES}.items():
                url = case.url(ids)
                if case.form is None:
                    done = client.get(url, follow_redirects=False)
                else:
                    token = owner_csrf if case.rule == "link" else csrf
                    if url == ids.acknowledge_link:
                        token = ids.acknowledge_csrf
                    done = client.post(
                        url, data={**case.form, "csrf": token}, follow_redirects=False
                    )
                seen[key] = _outcome(done.status_code, done.headers.get("location", ""))
        return seen

    yield walk


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_route_lets_in_exactly_whom_its_rule_says(
    walker: Callable[[str], dict[tuple[str, str], str]], persona: str
) -> None:
    seen = walker(persona)
    every = {**ROUTES, **API_ROUTES}
    expected = {key: case.expected(persona) for key, case in every.items()}
    wrong = {key: (seen[key], expected[key]) for key in every if seen[key] != expected[key]}
    assert not wrong, f"{persona}: (got, expected) {wrong}"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_tampered_link_reaches_nothing_whoever_is_logged_in(
    full_web: FastAPI, app: App, world: World, clock: MovableClock
) -> None:
    with TestClient(full_web) as client:
        log_in(client, app, world.chef, clock())
        bad = owner_path(app, world.anna, clock())[:-3] + "xyz"
        assert client.get(bad).status_code == 403
        done = client.post(f"{bad}/atgard/{world.a1}", data={"version": "1", "text": "x"})
        assert done.status_code == 403


# What a token reads through each route of the API, by its förvaltning: the chef's (the walk's
# plan, åtgärd and återrapport are that förvaltning's) and another. A list answers both, with
# only what the token may read; one thing of another förvaltning is answered as none (404).
# The walk's återrapport is a draft, which no token reads.
TOKEN_EXPECTED: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/api/v1/plans"): ("ok", "ok"),
    ("GET", "/api/v1/plans/{plan_id}"): ("ok", "denied"),
    ("GET", "/api/v1/actions"): ("ok", "denied"),
    ("GET", "/api/v1/actions/{action_id}"): ("ok", "denied"),
    ("GET", "/api/v1/actions/{action_id}/events"): ("ok", "denied"),
    ("GET", "/api/v1/reports"): ("ok", "ok"),
    ("GET", "/api/v1/reports/{report_id}"): ("denied", "denied"),
    ("GET", "/api/v1/reports/{report_id}/files/{fmt}"): ("denied", "denied"),
    ("GET", "/api/v1/overview"): ("ok", "ok"),
}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_each_api_route_lets_in_exactly_the_tokens_its_scope_says(
    full_web: FastAPI, app: App, world: World, clock: MovableClock
) -> None:
    assert set(TOKEN_EXPECTED) == set(API_ROUTES)
    ids = _ids(app, world, clock)
    # A token is made for a förvaltning someone is in.
    _persona(app, world, clock, "other_chef")
    with app.transaction() as s:
        secrets = [
            api_tokens.create_token(
                s, name=scope, forvaltning=scope, read_all=False, now=clock()
            ).secret
            for scope in (world.chef.forvaltning, OTHER_FORVALTNING)
        ]
    wrong = {}
    with TestClient(full_web) as client:
        for key, case in API_ROUTES.items():
            seen = tuple(
                _outcome(
                    client.get(case.url(ids), headers={"Authorization": f"Bearer {s}"}).status_code,
                    "",
                )
                for s in secrets
            )
            if seen != TOKEN_EXPECTED[key]:
                wrong[key] = (seen, TOKEN_EXPECTED[key])
    assert not wrong, f"(got, expected) {wrong}"
