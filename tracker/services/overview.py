"""The start page: per plan, the åtgärder a chef follows up each week.

Each number is the length of a list: the selection's ActionFilter, read by list_actions, is
what the page counts and what the list it links to shows, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from config import Settings
from tracker.domain.clock import local_date
from tracker.domain.roles import Someone, may_read
from tracker.models import Action, Plan
from tracker.services.plans import ActionFilter, ActionRow, list_actions
from workflows import WorkflowRegistry


class Selection(StrEnum):
    """The lists behind the start page's numbers; the value is the list page's `urval`."""

    late = "forsenade"
    without_owner = "utan-ansvarig"
    unanswered = "har-inte-svarat"
    evaluation = "utvardering"


@dataclass(frozen=True)
class Window:
    """What the selections are measured against."""

    today: date
    # An owner heard from neither by answer nor by being given the åtgärd since then.
    unanswered_since: datetime
    unanswered_days: int
    # The last day of the evaluations counted as coming up (from today).
    evaluation_until: date
    evaluation_days: int


def window(settings: Settings, now: datetime) -> Window:
    today = local_date(now, ZoneInfo(settings.timezone))
    return Window(
        today=today,
        unanswered_since=now - timedelta(days=settings.unanswered_days),
        unanswered_days=settings.unanswered_days,
        evaluation_until=today + timedelta(days=settings.upcoming_evaluation_days),
        evaluation_days=settings.upcoming_evaluation_days,
    )


def selection_filter(selection: Selection, plan_id: int, win: Window) -> ActionFilter:
    if selection is Selection.late:
        return ActionFilter(plan_id=plan_id, late_on=win.today)
    if selection is Selection.without_owner:
        return ActionFilter(plan_id=plan_id, without_owner=True)
    if selection is Selection.unanswered:
        return ActionFilter(plan_id=plan_id, unanswered_since=win.unanswered_since)
    return ActionFilter(plan_id=plan_id, evaluation_between=(win.today, win.evaluation_until))


def selected(
    session: Session, registry: WorkflowRegistry, selection: Selection, plan_id: int, win: Window
) -> list[ActionRow]:
    """The åtgärder of one plan in one selection: the list page, and each number counted."""
    return list_actions(session, registry, selection_filter(selection, plan_id, win))


@dataclass(frozen=True)
class PlanNumbers:
    plan: Plan
    counts: dict[Selection, int]


def readable_plans(session: Session, user: Someone) -> list[Plan]:
    return [p for p in session.exec(select(Plan).order_by(col(Plan.title))) if may_read(user, p)]


def readable_plan_ids(session: Session, user: Someone) -> set[int] | None:
    """The ids of the plans `user` may read; None when that is every plan (no filter)."""
    plans = list(session.exec(select(Plan)))
    readable = {p.id for p in plans if p.id is not None and may_read(user, p)}
    return None if len(readable) == len(plans) else readable


def workflows_in(session: Session, plan_ids: Sequence[int]) -> list[str]:
    """The workflows the items of these plans follow, each once: what the start page's
    numbers count is named by them."""
    if not plan_ids:
        return []
    query = select(Action.workflow).where(col(Action.plan_id).in_(plan_ids)).distinct()
    return sorted(session.exec(query))


def plan_numbers(
    session: Session, registry: WorkflowRegistry, plans: list[Plan], win: Window
) -> list[PlanNumbers]:
    out = []
    for plan in plans:
        assert plan.id is not None
        counts = {s: len(selected(session, registry, s, plan.id, win)) for s in Selection}
        out.append(PlanNumbers(plan, counts))
    return out
