"""Påminnelser for the chef and admin: what the next reminder sweep will send and which controls
it will open, and what went out to whom and when, per person and per åtgärd, within what they
may see."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tracker.domain import nouns
from tracker.domain.control_report import CONTROL_WORKFLOW
from tracker.domain.roles import forvaltning_scope, may_read, may_read_control_plan
from tracker.models import ControlPlan, Plan
from tracker.services import dispatch, reminder_log
from tracker.services.overview import readable_plan_ids
from tracker.services.reminders import KIND_ESCALATION, KIND_REMINDER, KIND_SUMMARY
from tracker.web.deps import EditorDep, NowDep, SessionDep, WebDep

router = APIRouter()

KIND_LABELS = {
    KIND_REMINDER: "Påminnelse",
    KIND_ESCALATION: "Påminnelse till chef",
    KIND_SUMMARY: "Dagssammanfattning",
}


@router.get("/paminnelser", response_class=HTMLResponse)
def reminders_page(
    request: Request, web: WebDep, session: SessionDep, now: NowDep, user: EditorDep
) -> HTMLResponse:
    def may_see(plan: Plan) -> bool:
        return may_read(user, plan)

    def may_see_control_plan(control_plan: ControlPlan) -> bool:
        return may_read_control_plan(user, control_plan.forvaltning)

    since = now - timedelta(days=reminder_log.HISTORY_DAYS)
    registry = web.app.registry
    preview = reminder_log.preview(
        session,
        registry,
        web.app.settings,
        now=now,
        may_see=may_see,
        may_see_control_plan=may_see_control_plan,
    )
    sent = reminder_log.sent_reminders(
        session,
        registry,
        plan_ids=readable_plan_ids(session, user),
        since=web.today(since),
    )
    known = set(registry.names())
    return web.render(
        request,
        "reminders/list.html",
        {
            "preview": preview,
            # What the listed items are, by their workflows' nouns: "Åtgärder och beslut"
            # over the next sweep's lists, "Åtgärd / beslut" over what went out.
            "preview_kinds": nouns.plural(registry, [w for w in preview.workflows if w in known]),
            "sent_column": nouns.heading(
                registry, [r.workflow for r in sent if r.workflow in known]
            ),
            # What the workflow calls its controls ([digest.noun]): "kontroller".
            "controls_word": nouns.plural(web.app.registry, [CONTROL_WORKFLOW]),
            "mail": reminder_log.reminder_mail(
                session, forvaltning=forvaltning_scope(user), since=since
            ),
            "sent": sent,
            "days": reminder_log.HISTORY_DAYS,
            "limit": reminder_log.HISTORY_LIMIT,
            "kind_labels": KIND_LABELS,
            "status_labels": dispatch.STATUS_LABELS,
        },
    )
