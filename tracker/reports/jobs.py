"""The scheduled side of återrapporter: a draft on each report's draft day (worked back from
the nämnd's meeting, tracker.domain.report_schedule), sending on approval.

`report_sweep(app, now)` is safe to run as often as wanted (every few minutes or daily): it
makes a draft only for an återrapport that has none yet, reminds the chef of an unapproved
draft once, and sends each approved report once (the move to "skickad" and the reminder are
conditional UPDATEs, so two sweeps cannot both do them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from config import Settings
from tracker.app import App
from tracker.domain.clock import local_date
from tracker.domain.control_report import ControlSnapshot
from tracker.domain.report_schedule import Occasion, draft_due, occasion_of
from tracker.domain.roles import chefs_of
from tracker.domain.workdays import WorkCalendar
from tracker.errors import TrackerError
from tracker.models import Person, Plan, Report
from tracker.models.report import DRAFT_STATE
from tracker.services import reports
from tracker.services.outbox import enqueue
from tracker.services.plans import chef_candidates
from tracker.services.report_schedule import call_days, call_on, not_updated

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    drafted: list[int] = field(default_factory=list)
    # Drafts whose chef was reminded to approve them before the secretary's deadline.
    reminded: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def review_url(settings: Settings, report_id: int) -> str:
    return f"{settings.public_base_url.rstrip('/')}/reports/{report_id}"


def _reviewers(session: Session, plan: Plan) -> list[Person]:
    return chefs_of(plan, chef_candidates(session, [plan]))


def _draft_due(session: Session, app: App, plan: Plan, today: date) -> Occasion | None:
    """The plan's occasion whose draft is due today and not yet made."""
    assert plan.id is not None
    occasions = reports.plan_occasions(
        session, app.registry, plan, today, app.settings.report_draft_days_before
    )
    occasion = draft_due(occasions, today)
    if occasion is None:
        return None
    # A report of the occasion is one occasion_of gives it, as everywhere: a meeting that
    # moved after its draft was made does not get a second one, and an extra report made
    # before the occasion's run-up does not stand in for its draft. (Windows overlap only
    # where a draft day falls before the previous meeting; there the earlier one has it.)
    made = session.exec(
        select(col(Report.as_of)).where(
            Report.plan_id == plan.id,
            col(Report.as_of) >= occasion.window_start,
            col(Report.as_of) <= occasion.window_end,
        )
    ).all()
    if any(occasion_of(occasions, as_of) == occasion for as_of in made):
        return None
    return occasion


@dataclass(frozen=True)
class DueDraft:
    plan_id: int
    title: str
    occasion: Occasion


def drafts_due(app: App, now: datetime) -> list[DueDraft]:
    """The drafts the report sweep would make now, for a dry run: nothing is written."""
    today = local_date(now, app.tz)
    out = []
    with app.transaction() as session:
        for plan in session.exec(select(Plan).order_by(col(Plan.id))):
            assert plan.id is not None
            occasion = _draft_due(session, app, plan, today)
            if occasion is not None:
                out.append(DueDraft(plan.id, plan.title, occasion))
    return out


def draft_if_due(app: App, plan_id: int, now: datetime) -> int | None:
    """Make the plan's draft for a report month in its window, unless one exists; mail the
    chef. One transaction: the draft and its mail are stored together or not at all."""
    from tracker.reports.mail import draft_review_message

    settings = app.settings
    today = local_date(now, app.tz)
    with app.transaction() as session:
        plan = reports.lock_plan(session, plan_id)
        occasion = _draft_due(session, app, plan, today)
        if occasion is None:
            return None
        report = reports.draft_report(
            session,
            app.registry,
            plan_id,
            as_of=today,
            now=now,
            tz=app.tz,
            draft_days=settings.report_draft_days_before,
            created_by="systemet (schemalagt)",
        )
        assert report.id is not None
        snapshot = reports.document_snapshot(report)
        reviewers = _reviewers(session, plan)
        if not reviewers:
            log.warning("plan %s: utkast %s gjort men ingen chef att meddela", plan_id, report.id)
            return report.id
        pdf = reports.render(snapshot, ("pdf",))["pdf"]
        called = call_on(occasion, call_days(app.registry), WorkCalendar())
        # Controls have reminders of their own and no processläge to update before a report.
        stale = (
            []
            if isinstance(snapshot, ControlSnapshot)
            else not_updated(session, app.registry, plan_id, called, app.tz)
        )
        for person in reviewers:
            enqueue(
                session,
                draft_review_message(
                    person.email,
                    person.name,
                    report.id,
                    snapshot,
                    pdf,
                    reports.filename_for(snapshot, "pdf"),
                    review_url(settings, report.id),
                    occasion=occasion,
                    stale=stale,
                ),
                kind="aterrapport-utkast",
                forvaltning=plan.forvaltning,
                now=now,
                domain=reports.mail_domain(settings),
            )
        return report.id


def remind_approval_if_due(app: App, report_id: int, now: datetime) -> bool:
    """On the working day before its secretary's deadline (or on the day itself, if that
    morning was missed), mail the plan's chef about a draft not yet approved; once."""
    from tracker.reports.mail import approval_reminder_message

    today = local_date(now, app.tz)
    cal = WorkCalendar()
    with app.transaction() as session:
        report = session.get(Report, report_id)
        if report is None or report.state != DRAFT_STATE or report.approval_reminded_on:
            return False
        plan = session.get(Plan, report.plan_id)
        assert plan is not None
        occasions = reports.plan_occasions(
            session, app.registry, plan, report.as_of, app.settings.report_draft_days_before
        )
        occasion = occasion_of(occasions, report.as_of)
        if occasion is None:
            return False
        due = cal.on_or_before(occasion.approve_by - timedelta(days=1))
        if not (due <= today <= occasion.approve_by) or not cal.is_working(today):
            return False
        claimed = session.execute(
            update(Report)
            .where(col(Report.id) == report_id, col(Report.approval_reminded_on).is_(None))
            .values(approval_reminded_on=today)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return False
        for person in _reviewers(session, plan):
            enqueue(
                session,
                approval_reminder_message(
                    person.email,
                    person.name,
                    plan.title,
                    occasion,
                    review_url(app.settings, report_id),
                ),
                kind="aterrapport-godkann",
                forvaltning=plan.forvaltning,
                now=now,
                domain=reports.mail_domain(app.settings),
            )
        return True


def report_sweep(app: App, now: datetime) -> SweepResult:
    """Draft what is due and send what is approved. One plan's or report's failure is logged
    and does not stop the others."""
    result = SweepResult()
    with app.transaction() as session:
        plan_ids = [
            p.id
            for p in session.exec(select(Plan).order_by(col(Plan.id)))
            if p.id is not None and (p.report_months.strip() or p.next_report_on is not None)
        ]
        approved = list(
            session.exec(
                select(Report.id).where(Report.state == "godkand").order_by(col(Report.id))
            )
        )
        drafts = list(
            session.exec(
                select(Report.id).where(Report.state == DRAFT_STATE).order_by(col(Report.id))
            )
        )
    for plan_id in plan_ids:
        try:
            made = draft_if_due(app, plan_id, now)
        except TrackerError as exc:
            result.problems.append(f"plan {plan_id}: {exc.message}")
            continue
        except Exception as exc:
            log.exception("återrapport: utkast för plan %s misslyckades", plan_id)
            result.problems.append(f"plan {plan_id}: {exc}")
            continue
        if made is not None:
            result.drafted.append(made)
    for draft_id in drafts:
        if draft_id is None:
            continue
        try:
            if remind_approval_if_due(app, draft_id, now):
                result.reminded.append(draft_id)
        except Exception as exc:
            log.exception("återrapport %s: påminnelse om godkännande misslyckades", draft_id)
            result.problems.append(f"återrapport {draft_id}: {exc}")
    for report_id in approved:
        if report_id is None:
            continue
        try:
            with app.transaction() as session:
                reports.send_report(
                    session, app.registry, report_id, now=now, settings=app.settings
                )
        except TrackerError as exc:
            # A plan without recipients stays approved until someone adds them.
            result.problems.append(f"återrapport {report_id}: {exc.message}")
            continue
        except Exception as exc:
            log.exception("återrapport %s kunde inte skickas", report_id)
            result.problems.append(f"återrapport {report_id}: {exc}")
            continue
        result.sent.append(report_id)
    for problem in result.problems:
        log.warning("återrapport: %s", problem)
    return result
