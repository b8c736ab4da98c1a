"""Återrapporter: drafting from the event history, issuing, archiving and sending.

A draft is a snapshot of the plan as it was on the report date (state and processläge of each
åtgärd replayed from action_event up to the end of that day). Approving it issues it: it gets
the plan's next number, its documents are rendered and stored with their SHA-256, and from
then on nothing can change it (this module offers no way to, and database triggers refuse
stray writes). Sending queues it, with the PDF and DOCX attached, to the nämnd's recipients
through the outbox.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from config import Settings
from tracker.domain.clock import local_date
from tracker.domain.control_report import ControlSnapshot, is_control_json
from tracker.domain.control_report import report_title as control_report_title
from tracker.domain.evaluation import IndicatorFacts, answers_from_json
from tracker.domain.report import (
    DEFAULT_WORKFLOW,
    ActionSnap,
    AreaSnap,
    ChangeSnap,
    EarlierReport,
    IssueSnap,
    MeetingSnap,
    PlanSnap,
    Snapshot,
    StateInfo,
    compose,
    state_counts,
)
from tracker.domain.report_schedule import Occasion, draft_due, occasion_after, occasion_of
from tracker.domain.roles import action_roles
from tracker.domain.workdays import WorkCalendar
from tracker.errors import Conflict, NotFound, Refused
from tracker.models import (
    Action,
    ActionEvent,
    Area,
    OutboxMessage,
    OutboxReport,
    Person,
    Plan,
    Report,
)
from tracker.models.report import DRAFT_STATE, ReportFile
from tracker.services import areas as area_service
from tracker.services import indicators as indicator_service
from tracker.services.actions import (
    ACKNOWLEDGED,
    ASSIGNED,
    CREATED,
    EDITED,
    ESCALATED,
    INDICATOR_ADDED,
    INDICATOR_EDITED,
    INDICATOR_REMOVED,
    MEASURED,
    MOVED,
    RESCHEDULED,
    VALUE_REMOVED,
)
from tracker.services.outbox import (
    DELIVERY_FAILED,
    DELIVERY_WAITING,
    Delivery,
    DeliveryStatus,
    delivered_at,
    delivery_status,
    enqueue,
)
from tracker.services.outbox import deliveries as outbox_deliveries
from tracker.services.people import valid_email
from tracker.services.plans import reply_address
from tracker.services.report_schedule import report_calendar
from workflows import TransitionRefused, WorkflowRegistry

REPORT_WORKFLOW = "aterrapport"
APPROVE = "godkann"
SEND = "skicka"
SENT_STATE = "skickad"
ISSUED_STATES = ("godkand", SENT_STATE)
FORMATS = ("html", "pdf", "docx")
# The documents the nämnd's mail carries; the HTML stays in the archive.
ATTACHED = ("pdf", "docx")
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# A report's snapshot: an återrapport of an åtgärdsplan, or the follow-up of an
# internkontrollplan (tracker.domain.control_report), told apart by the kind it carries.
AnySnapshot = Snapshot | ControlSnapshot

# History events whose text is not a processläge (it says who or what changed). An
# "importerad" event carries the processläge a plan file gave a new åtgärd.
NOT_NOTES = frozenset(
    {
        CREATED,
        ASSIGNED,
        EDITED,
        MOVED,
        RESCHEDULED,
        ESCALATED,
        ACKNOWLEDGED,
        INDICATOR_ADDED,
        INDICATOR_EDITED,
        INDICATOR_REMOVED,
        MEASURED,
        VALUE_REMOVED,
    }
)


# --- Dates --------------------------------------------------------------------------------


def cutoff_for(as_of: date, now: datetime, tz: ZoneInfo) -> datetime:
    """The last instant a report as of `as_of` covers: the end of that day, or now."""
    day_end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=tz) - timedelta(
        microseconds=1
    )
    return min(day_end, now.astimezone(tz))


def plan_occasions(
    session: Session, registry: WorkflowRegistry, plan: Plan, around: date, draft_days: int
) -> list[Occasion]:
    """The plan's återrapporter around a date: at its nämnd's meetings when the nämnd has a
    sammanträdesplan, else at the start of each report month, each made `draft_days` days
    before it."""
    calendar = report_calendar(session, registry, WorkCalendar(), draft_days, [plan])
    return calendar.occasions(plan, around)


def due_occasion(
    session: Session, registry: WorkflowRegistry, plan: Plan, today: date, draft_days: int
) -> Occasion | None:
    """The occasion whose draft is due (report_schedule.draft_due)."""
    return draft_due(plan_occasions(session, registry, plan, today, draft_days), today)


# --- Reading reports ----------------------------------------------------------------------


def get_report(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"Ingen återrapport med nummer {report_id}.")
    return report


def snapshot_of(report: Report) -> Snapshot:
    """An återrapport's snapshot; Refused for the follow-up of an internkontrollplan, which
    has another shape (document_snapshot reads either)."""
    if is_control_json(report.snapshot_json):
        raise Refused(f"{report_title(report)} är en uppföljning av internkontroll.")
    return Snapshot.from_json(report.snapshot_json)


def document_snapshot(report: Report) -> AnySnapshot:
    """The snapshot a report's documents are rendered from, of whichever kind it is."""
    if is_control_json(report.snapshot_json):
        return ControlSnapshot.from_json(report.snapshot_json)
    return Snapshot.from_json(report.snapshot_json)


def is_control_report(report: Report) -> bool:
    """Whether the report is the follow-up of an internkontrollplan."""
    return is_control_json(report.snapshot_json)


def is_issued(report: Report) -> bool:
    return report.state != DRAFT_STATE


def list_reports(session: Session, plan_id: int | None = None) -> list[tuple[Report, Plan]]:
    query = select(Report, Plan).join(Plan, col(Plan.id) == Report.plan_id)
    if plan_id is not None:
        query = query.where(Report.plan_id == plan_id)
    query = query.order_by(col(Report.plan_id), col(Report.as_of), col(Report.id))
    return [(r, p) for r, p in session.exec(query).all()]


def report_title(report: Report) -> str:
    return title_as(report, report.number)


def title_as(report: Report, number: int | None) -> str:
    """The report's title once issued as `number` (None: as the draft it is)."""
    if is_control_report(report):
        year = ControlSnapshot.from_json(report.snapshot_json).control_plan.year
        if number is not None:
            return f"{control_report_title(year)}, nr {number} ({report.as_of.isoformat()})"
        return f"Utkast till {control_report_title(year).lower()} ({report.as_of.isoformat()})"
    if number is not None:
        return f"Återrapport nr {number} ({report.as_of.isoformat()})"
    # No number: the plan's numbers go to issued reports only, and the row's id counts
    # drafts of every plan.
    return f"Utkast till återrapport ({report.as_of.isoformat()})"


# --- Building the snapshot ----------------------------------------------------------------


@dataclass
class _Replay:
    state: str | None = None
    # The event holding the latest processläge (its text is fetched afterwards).
    note_event: int | None = None
    state_then: str | None = None
    new_note: bool = False
    created_since: bool = False


def workflow_states(registry: WorkflowRegistry, name: str) -> tuple[StateInfo, ...]:
    """A workflow's states as a snapshot keeps them, so a document reads as when it was made."""
    d = registry.get(name).definition
    return tuple(
        StateInfo(
            id=s.id,
            label=s.label,
            done=s.done,
            final=s.final,
            initial=s.id == d.initial,
            withdrawn=s.withdrawn,
        )
        for s in d.states
    )


_DATE_FIELDS = frozenset({"due_on", "original_due_on", "evaluate_on", "next_report_on"})


def _fields_then(session: Session, plan_id: int, cutoff: datetime) -> dict[int, dict[str, Any]]:
    """For each åtgärd edited after the cutoff, its edited fields as they were at the cutoff:
    each edit's "before" values, undone from the newest back to the first after the cutoff."""
    rows = session.execute(
        sa_select(col(ActionEvent.action_id), col(ActionEvent.before_json))
        .join(Action, col(Action.id) == ActionEvent.action_id)
        .where(
            col(Action.plan_id) == plan_id,
            col(ActionEvent.at) > cutoff,
            col(ActionEvent.before_json).is_not(None),
        )
        .order_by(col(ActionEvent.at).desc(), col(ActionEvent.id).desc())
    )
    out: dict[int, dict[str, Any]] = defaultdict(dict)
    for action_id, before_json in rows:
        for key, value in json.loads(before_json).items():
            out[action_id][key] = (
                date.fromisoformat(value) if key in _DATE_FIELDS and value else value
            )
    return out


def _placement(action: Action, then: dict[str, Any]) -> tuple[int, int, int]:
    return (
        then.get("area_id", action.area_id),
        then.get("position", action.position),
        action.id or 0,
    )


@dataclass(frozen=True)
class _Note:
    text: str
    at: datetime | None


@dataclass(frozen=True)
class _History:
    """What the event history says of the plan's åtgärder as of the cutoff."""

    cutoff: datetime
    # The zone whose calendar days the report's dates are.
    tz: ZoneInfo
    # When the data of the previous issued report ended; None if there is none.
    previous_until: datetime | None
    first_event: dict[int, datetime]
    replays: dict[int, _Replay]
    # The latest processläge of each åtgärd, by the id of the event that holds it.
    notes: dict[int | None, _Note]
    # The fields of åtgärder edited since the cutoff, as they were then.
    fields: dict[int, dict[str, Any]]
    # Each åtgärd's latest evaluation answers by the cutoff (label, answer), and its
    # indicators as of the report date.
    answers: dict[int, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    indicators: dict[int, tuple[IndicatorFacts, ...]] = field(default_factory=dict)

    def added_later(self, action_id: int) -> bool:
        first = self.first_event.get(action_id)
        return first is not None and first > self.cutoff

    def was(self, action: Action) -> dict[str, Any]:
        """The åtgärd's fields edited since the cutoff, as they were then."""
        return self.fields.get(action.id or 0, {})


def _earlier_reports(
    session: Session, plan_id: int, cutoff: datetime
) -> tuple[list[EarlierReport], datetime | None]:
    """The issued reports before this one, and when the data of the last of them ended."""
    rows = session.exec(
        select(
            col(Report.number), col(Report.as_of), col(Report.counts_json), col(Report.data_until)
        )
        .where(
            Report.plan_id == plan_id,
            col(Report.state).in_(ISSUED_STATES),
            col(Report.data_until) < cutoff,
        )
        .order_by(col(Report.number))
    ).all()
    earlier = [EarlierReport(number=n or 0, as_of=a, by_state=json.loads(c)) for n, a, c, _ in rows]
    return earlier, rows[-1][3] if rows else None


def _first_events(session: Session, plan_id: int) -> dict[int, datetime]:
    return dict(
        session.exec(
            select(ActionEvent.action_id, func.min(ActionEvent.at))
            .join(Action, col(Action.id) == ActionEvent.action_id)
            .where(Action.plan_id == plan_id)
            .group_by(col(ActionEvent.action_id))
        ).all()
    )


def _replay(
    session: Session, plan_id: int, cutoff: datetime, previous_until: datetime | None
) -> dict[int, _Replay]:
    """Each åtgärd's events up to the cutoff, replayed in order."""
    replays: dict[int, _Replay] = defaultdict(_Replay)
    # Whether an event was already in the previous report is decided by the database: turning
    # tens of thousands of timestamps into Python datetimes costs more than the rest.
    before_previous = (
        (col(ActionEvent.at) <= previous_until) if previous_until is not None else literal(False)
    )
    # The texts are not read here: only the latest processläge of each åtgärd is needed, and
    # fetched by id afterwards.
    is_note = and_(col(ActionEvent.text) != "", col(ActionEvent.trigger).not_in(NOT_NOTES))
    events = session.execute(
        sa_select(
            col(ActionEvent.action_id),
            col(ActionEvent.id),
            before_previous,
            col(ActionEvent.trigger),
            col(ActionEvent.to_state),
            is_note,
        )
        .join(Action, col(Action.id) == ActionEvent.action_id)
        .where(col(Action.plan_id) == plan_id, col(ActionEvent.at) <= cutoff)
        .order_by(col(ActionEvent.action_id), col(ActionEvent.at), col(ActionEvent.id))
    )
    for action_id, event_id, in_previous, trigger, to_state, note in events:
        r = replays[action_id]
        if to_state is not None:
            r.state = to_state
        if note:
            r.note_event = event_id
        if in_previous:
            r.state_then = r.state
        elif previous_until is not None:
            r.new_note = r.new_note or bool(note)
            r.created_since = r.created_since or trigger == CREATED
    return replays


def _note_texts(session: Session, replays: dict[int, _Replay]) -> dict[int | None, _Note]:
    """The texts of the events holding each åtgärd's latest processläge, and when each was
    written."""
    note_ids = [r.note_event for r in replays.values() if r.note_event is not None]
    notes: dict[int | None, _Note] = {}
    for i in range(0, len(note_ids), 500):
        rows = session.exec(
            select(ActionEvent.id, ActionEvent.text, ActionEvent.at).where(
                col(ActionEvent.id).in_(note_ids[i : i + 500])
            )
        ).all()
        notes.update((event_id, _Note(text, at)) for event_id, text, at in rows)
    return notes


def _history(
    session: Session,
    plan_id: int,
    cutoff: datetime,
    previous_until: datetime | None,
    tz: ZoneInfo,
) -> _History:
    first_event = _first_events(session, plan_id)
    replays = _replay(session, plan_id, cutoff, previous_until)
    return _History(
        cutoff=cutoff,
        tz=tz,
        previous_until=previous_until,
        first_event=first_event,
        replays=replays,
        notes=_note_texts(session, replays),
        fields=_fields_then(session, plan_id, cutoff),
        answers=_answers_then(session, plan_id, cutoff),
        indicators=indicator_service.facts_as_of(session, replays.keys(), local_date(cutoff, tz)),
    )


def _answers_then(
    session: Session, plan_id: int, cutoff: datetime
) -> dict[int, tuple[tuple[str, str], ...]]:
    """The answers of each åtgärd's latest transition that asked fields, by the cutoff."""
    rows = session.execute(
        sa_select(col(ActionEvent.action_id), col(ActionEvent.answers_json))
        .join(Action, col(Action.id) == ActionEvent.action_id)
        .where(
            col(Action.plan_id) == plan_id,
            col(ActionEvent.at) <= cutoff,
            col(ActionEvent.answers_json).is_not(None),
        )
        .order_by(col(ActionEvent.at), col(ActionEvent.id))
    )
    return {
        action_id: tuple((a.label, a.value) for a in answers_from_json(text))
        for action_id, text in rows
    }


def _note_then(action: Action, replay: _Replay, history: _History) -> _Note:
    if replay.note_event is not None:
        return history.notes[replay.note_event]
    # No processläge in the history (imported or written before events were kept): the
    # stored one counts if it was written by the report date.
    if action.progress_at is None or action.progress_at <= history.cutoff:
        return _Note(action.progress_note, action.progress_at)
    return _Note("", None)


def _action_then(action: Action, history: _History) -> ActionSnap:
    """The åtgärd with its texts, dates, state and processläge as of the cutoff."""
    assert action.id is not None
    was = history.was(action)
    replay = history.replays.get(action.id, _Replay())
    note = _note_then(action, replay, history)
    return ActionSnap(
        id=action.id,
        text=was.get("text", action.text),
        tidsplan=was.get("tidsplan", action.tidsplan),
        due_on=was.get("due_on", action.due_on),
        original_due_on=was.get("original_due_on", action.original_due_on),
        evaluate_on=was.get("evaluate_on", action.evaluate_on),
        next_report_on=was.get("next_report_on", action.next_report_on),
        workflow=action.workflow,
        state=replay.state or action.state,
        note=note.text,
        note_on=local_date(note.at, history.tz) if note.at and note.text else None,
        expected_effect=was.get("expected_effect", action.expected_effect),
        evaluation=history.answers.get(action.id, ()),
        indicators=tuple((f.name, f.progress()) for f in history.indicators.get(action.id, ())),
    )


def _change_since_previous(snap: ActionSnap, history: _History) -> ChangeSnap | None:
    """What changed for the åtgärd since the previous report, if there is one and anything
    did."""
    replay = history.replays.get(snap.id)
    if history.previous_until is None or replay is None:
        # An åtgärd with no history at all has nothing to say about change.
        return None
    then = None if replay.created_since else replay.state_then
    if then == snap.state and not replay.new_note:
        return None
    return ChangeSnap(
        action_id=snap.id, from_state=then, to_state=snap.state, new_note=replay.new_note
    )


def plan_snap(plan: Plan) -> PlanSnap:
    """The plan's own data as a snapshot keeps it."""
    assert plan.id is not None
    return PlanSnap(
        id=plan.id,
        title=plan.title,
        forvaltning=plan.forvaltning,
        namnd=plan.namnd,
        background=plan.background,
        dnr=plan.dnr,
        ort=plan.ort,
        signatory_name=plan.signatory_name,
        signatory_title=plan.signatory_title,
        decision_on=plan.decision_on,
        decision_paragraph=plan.decision_paragraph,
    )


def _actions_then(
    actions: list[Action], history: _History
) -> tuple[dict[int, list[ActionSnap]], list[ChangeSnap]]:
    """The åtgärder there were at the cutoff, by area in the order they stood in then, and
    what changed for them since the previous report."""
    if history.fields:
        actions = sorted(actions, key=lambda a: _placement(a, history.was(a)))
    by_area: dict[int, list[ActionSnap]] = defaultdict(list)
    changes: list[ChangeSnap] = []
    for action in actions:
        assert action.id is not None
        if history.added_later(action.id):
            continue
        snap = _action_then(action, history)
        by_area[history.was(action).get("area_id", action.area_id)].append(snap)
        change = _change_since_previous(snap, history)
        if change is not None:
            changes.append(change)
    return by_area, changes


def _refuse_before_first(first_event: dict[int, datetime], as_of: date, tz: ZoneInfo) -> None:
    """A report for a date before the plan had any åtgärder would be an empty plan."""
    first = min(first_event.values(), default=None)
    since = f": den första finns från {first.astimezone(tz).date().isoformat()}" if first else ""
    raise Refused(
        f"Planen hade inga åtgärder per {as_of.isoformat()}{since}. Välj ett senare datum, "
        "eller importera planen med 'läget per' det datum den gällde."
    )


def _area_then(
    area: Area, areas_then: dict[int, dict[str, str]], by_area: dict[int, list[ActionSnap]]
) -> AreaSnap:
    """The area as it was called at the cutoff, with its åtgärder then."""
    was = areas_then.get(area.id or 0, {})
    return AreaSnap(
        title=was.get("title", area.title),
        section=was.get("section", area.section),
        actions=tuple(by_area[area.id or 0]),
    )


def build_snapshot(
    session: Session,
    registry: WorkflowRegistry,
    plan_id: int,
    *,
    as_of: date,
    now: datetime,
    tz: ZoneInfo,
    draft_days: int,
) -> Snapshot:
    """The plan as it was on `as_of`, replayed from the event history."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"Ingen åtgärdsplan med nummer {plan_id}.")
    cutoff = cutoff_for(as_of, now, tz)
    earlier, previous_until = _earlier_reports(session, plan_id, cutoff)
    areas = list(
        session.exec(select(Area).where(Area.plan_id == plan_id).order_by(col(Area.position)))
    )
    actions = list(
        session.exec(
            select(Action)
            .where(Action.plan_id == plan_id)
            .order_by(col(Action.area_id), col(Action.position), col(Action.id))
        )
    )
    history = _history(session, plan_id, cutoff, previous_until, tz)
    by_area, changes = _actions_then(actions, history)
    areas_then = area_service.fields_then(session, plan_id, cutoff)
    if actions and not any(by_area.values()):
        _refuse_before_first(history.first_event, as_of, tz)
    used = {DEFAULT_WORKFLOW} | {a.workflow for snaps in by_area.values() for a in snaps}
    occasions = plan_occasions(session, registry, plan, as_of, draft_days)
    current = occasion_of(occasions, as_of)
    following = occasion_after(occasions, current, as_of)
    period = current.period if current is not None else as_of.replace(day=1)
    return Snapshot(
        plan=plan_snap(plan),
        as_of=as_of,
        cutoff=cutoff,
        built_at=now.astimezone(tz),
        period=period,
        next_report_on=following.meeting_on if following is not None else None,
        workflows={name: workflow_states(registry, name) for name in sorted(used)},
        areas=tuple(_area_then(area, areas_then, by_area) for area in areas),
        earlier=tuple(earlier),
        changes=tuple(changes),
        meeting=meeting_snap(current),
        word_title_names_report=True,
    )


def meeting_snap(occasion: Occasion | None) -> MeetingSnap | None:
    """The meeting of the nämnd's sammanträdesplan a report for `occasion` goes to; None for
    an extra report and for an occasion at the start of a report month (no sammanträdesplan)."""
    if occasion is None or not occasion.from_calendar:
        return None
    return MeetingSnap(board=occasion.board, held_on=occasion.meeting_on)


def meeting_now(
    session: Session, registry: WorkflowRegistry, plan: Plan, as_of: date
) -> MeetingSnap | None:
    """The meeting a report as of `as_of` goes to by the sammanträdesplan as it is now. The
    days a draft is made before a report month count only without a sammanträdesplan, where
    there is no meeting to name, so they are not asked for."""
    return meeting_snap(occasion_of(plan_occasions(session, registry, plan, as_of, 0), as_of))


# --- Rendering ----------------------------------------------------------------------------


def render(snapshot: AnySnapshot, formats: tuple[str, ...] = FORMATS) -> dict[str, bytes]:
    """The documents of a snapshot; the same snapshot always gives the same bytes."""
    from tracker.reports.docx import render_docx
    from tracker.reports.html import render_html
    from tracker.reports.pdf import render_pdf

    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise Refused(f"Okänt format: {', '.join(sorted(unknown))}. Möjliga: html, pdf, docx.")
    if isinstance(snapshot, ControlSnapshot):
        from tracker.reports.control import render_control

        return render_control(snapshot, formats)
    view = compose(snapshot)
    out: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "html":
            out[fmt] = render_html(view).encode("utf-8")
        elif fmt == "pdf":
            out[fmt] = render_pdf(view)
        else:
            out[fmt] = render_docx(view)
    return out


# Characters of a plan title in a file name; a longer title is shortened between words.
SLUG_LIMIT = 48


def _slug(text: str) -> str:
    """The title as lower-case ASCII words joined by hyphens, as many whole words as fit."""
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})
    words = re.findall(r"[a-z0-9]+", text.lower().translate(table))
    kept: list[str] = []
    for word in words:
        if len("-".join([*kept, word])) > SLUG_LIMIT:
            break
        kept.append(word)
    if not kept and words:
        # A first word longer than the limit on its own is the one word that must be cut.
        return words[0][:SLUG_LIMIT]
    return "-".join(kept) or "plan"


def filename_for(snapshot: AnySnapshot, fmt: str) -> str:
    return numbered_filename(snapshot, fmt, snapshot.issue.number if snapshot.issue else None)


def numbered_filename(snapshot: AnySnapshot, fmt: str, number: int | None) -> str:
    """The document's name once issued as `number` (None: as a draft)."""
    kind = f"nr{number}" if number is not None else "utkast"
    if isinstance(snapshot, ControlSnapshot):
        cp = snapshot.control_plan
        return (
            f"internkontroll-{cp.year}-{_slug(cp.namnd)}-{kind}-{snapshot.as_of.isoformat()}.{fmt}"
        )
    return f"aterrapport-{_slug(snapshot.plan.title)}-{kind}-{snapshot.as_of.isoformat()}.{fmt}"


@dataclass(frozen=True)
class Document:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def report_document(session: Session, report_id: int, fmt: str) -> Document:
    """An issued report's archived file, or a draft rendered now."""
    if fmt not in FORMATS:
        raise Refused(f"Okänt format '{fmt}'. Möjliga: html, pdf, docx.")
    report = get_report(session, report_id)
    if is_issued(report):
        stored = session.exec(
            select(ReportFile).where(ReportFile.report_id == report_id, ReportFile.format == fmt)
        ).first()
        if stored is None:
            raise NotFound(f"Återrapport {report_id} saknar arkiverad fil i formatet {fmt}.")
        return Document(stored.filename, stored.content_type, stored.data)
    snapshot = document_snapshot(report)
    return Document(filename_for(snapshot, fmt), CONTENT_TYPES[fmt], render(snapshot, (fmt,))[fmt])


@dataclass(frozen=True)
class Verification:
    """One archived file checked: `intact` is what counts (the stored bytes still have the
    SHA-256 recorded when the report was issued); `reproduced` says whether this version of
    the product renders the snapshot to the same bytes, which a later change of the report's
    templates makes false without anything being wrong with the archive."""

    intact: bool
    reproduced: bool


def verify_report(session: Session, report_id: int) -> dict[str, Verification]:
    """Check each archived file of an issued report against its SHA-256, and render the
    report again from its snapshot to see whether this version gives the same bytes."""
    report = get_report(session, report_id)
    if not is_issued(report):
        raise Refused("Ett utkast har inga arkiverade filer att kontrollera.")
    files = list(session.exec(select(ReportFile).where(ReportFile.report_id == report_id)))
    fresh = render(document_snapshot(report), tuple(f.format for f in files))
    return {
        f.format: Verification(
            intact=hashlib.sha256(f.data).hexdigest() == f.sha256,
            reproduced=hashlib.sha256(fresh[f.format]).hexdigest() == f.sha256,
        )
        for f in files
    }


# --- Drafting, issuing, sending -----------------------------------------------------------


def lock_plan(session: Session, plan_id: int) -> Plan:
    # Serialises drafting and numbering per plan. PostgreSQL: the row lock. SQLite ignores
    # FOR UPDATE, and its driver opens the transaction only at the first write, so two
    # processes could both find no draft and both make one: a no-op write first takes the
    # database's write lock, and the reads after it see what the other one committed.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Plan)
            .where(col(Plan.id) == plan_id)
            .values(id=Plan.id)
            .execution_options(synchronize_session=False)
        )
    plan = session.exec(select(Plan).where(Plan.id == plan_id).with_for_update()).first()
    if plan is None:
        raise NotFound(f"Ingen åtgärdsplan med nummer {plan_id}.")
    return plan


def _last_issued(session: Session, plan_id: int) -> Report | None:
    return session.exec(
        select(Report)
        .where(Report.plan_id == plan_id, col(Report.number).is_not(None))
        .order_by(col(Report.number).desc())
    ).first()


def next_number(session: Session, plan_id: int) -> int:
    """The number the plan's next issued report gets."""
    last = _last_issued(session, plan_id)
    return (last.number or 0) + 1 if last else 1


def draft_report(
    session: Session,
    registry: WorkflowRegistry,
    plan_id: int,
    *,
    as_of: date,
    now: datetime,
    tz: ZoneInfo,
    draft_days: int,
    created_by: str = "systemet",
) -> Report:
    """Store a draft of the plan's återrapport as of `as_of`, for the chef to approve."""
    if as_of > local_date(now, tz):
        raise Refused("Återrapportens datum kan inte ligga i framtiden.")
    lock_plan(session, plan_id)
    last = _last_issued(session, plan_id)
    if last is not None and last.data_until >= cutoff_for(as_of, now, tz):
        raise Refused(
            f"Återrapport nr {last.number} per {last.as_of.isoformat()} är redan utfärdad; "
            "ett nytt utkast måste gälla ett senare läge."
        )
    snapshot = draft_snapshot(
        session, registry, plan_id, as_of=as_of, now=now, tz=tz, draft_days=draft_days
    )
    counts = snapshot.counts() if isinstance(snapshot, ControlSnapshot) else state_counts(snapshot)
    report = Report(
        plan_id=plan_id,
        workflow=REPORT_WORKFLOW,
        state=registry.get(REPORT_WORKFLOW).initial,
        as_of=as_of,
        data_until=snapshot.cutoff,
        snapshot_json=snapshot.to_json(),
        counts_json=json.dumps(counts, sort_keys=True),
        created_at=now,
        created_by=created_by,
    )
    session.add(report)
    session.flush()
    return report


def draft_snapshot(
    session: Session,
    registry: WorkflowRegistry,
    plan_id: int,
    *,
    as_of: date,
    now: datetime,
    tz: ZoneInfo,
    draft_days: int,
) -> AnySnapshot:
    """The snapshot a draft for the plan holds: the follow-up of its internkontrollplan when
    the plan is one's åtgärdsplan, else the återrapport."""
    from tracker.services.control_report import build_control_snapshot, control_plan_of

    control_plan = control_plan_of(session, plan_id)
    if control_plan is not None:
        return build_control_snapshot(
            session, registry, control_plan, as_of=as_of, now=now, tz=tz, draft_days=draft_days
        )
    return build_snapshot(
        session, registry, plan_id, as_of=as_of, now=now, tz=tz, draft_days=draft_days
    )


def rewrite_draft(session: Session, report: Report, seen: int, *, snapshot_json: str) -> None:
    """Store a draft's changed snapshot (the chef's assessment of an internkontroll
    follow-up); Conflict if someone else changed or approved it since version `seen`."""
    _conditional_update(session, report, seen, DRAFT_STATE, snapshot_json=snapshot_json)


def _conditional_update(
    session: Session, report: Report, seen: int, from_state: str, **values: Any
) -> None:
    result = session.execute(
        update(Report)
        .where(
            col(Report.id) == report.id,
            col(Report.version) == seen,
            col(Report.state) == from_state,
        )
        .values(**values, version=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(
            "Återrapporten har ändrats av någon annan sedan du öppnade den. "
            "Ingenting sparades; ladda om och försök igen."
        )
    session.refresh(report)


def check_approval(
    session: Session, registry: WorkflowRegistry, report: Report, actor: Person, plan: Plan
) -> str:
    """The state approving moves the draft to; Refused with the reason when `actor` may not
    approve it now."""
    # The plan's chef (or an admin) approves; a report has no owner.
    roles = action_roles(actor, plan, None)
    if not roles:
        raise Refused("Bara chefen för planens förvaltning får godkänna återrapporten.")
    try:
        new_state = registry.get(report.workflow).fire(report.state, APPROVE, roles=roles)
    except TransitionRefused as exc:
        raise Refused(exc.reason) from exc
    snapshot = document_snapshot(report)
    if isinstance(snapshot, ControlSnapshot) and not snapshot.assessment.strip():
        raise Refused("Skriv chefens samlade bedömning i utkastet innan uppföljningen godkänns.")
    last = _last_issued(session, report.plan_id)
    expected_last = snapshot.previous.number if snapshot.previous else None
    if (last.number if last else None) != expected_last:
        raise Refused(
            f"Återrapport nr {last.number if last else '?'} har utfärdats sedan utkastet "
            "gjordes, så utkastets jämförelse med förra återrapporten stämmer inte längre. "
            "Gör ett nytt utkast."
        )
    return new_state


def approve_report(
    session: Session,
    registry: WorkflowRegistry,
    report_id: int,
    actor: Person,
    *,
    now: datetime,
    tz: ZoneInfo,
    expected_version: int | None = None,
) -> Report:
    """Issue a draft: number it, render and archive its documents. From here it is frozen."""
    report = get_report(session, report_id)
    seen = report.version if expected_version is None else expected_version
    if seen != report.version:
        raise Conflict(
            "Återrapporten har ändrats av någon annan sedan du öppnade den. "
            "Ingenting sparades; ladda om och försök igen."
        )
    plan = lock_plan(session, report.plan_id)
    new_state = check_approval(session, registry, report, actor, plan)
    snapshot = document_snapshot(report)
    if isinstance(snapshot, Snapshot):
        # A draft made before its meeting moved goes to the moved meeting (its occasion
        # keeps it), and the issued report says so; from here on the date it names stays.
        snapshot = replace(snapshot, meeting=meeting_now(session, registry, plan, snapshot.as_of))
    number = next_number(session, report.plan_id)
    issued = snapshot.issued(
        IssueSnap(number=number, issued_at=now.astimezone(tz), approved_by=actor.name)
    )
    # Files first: the database accepts them only while the report is still a draft.
    for fmt, data in render(issued).items():
        session.add(
            ReportFile(
                report_id=report_id,
                format=fmt,
                filename=filename_for(issued, fmt),
                content_type=CONTENT_TYPES[fmt],
                data=data,
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    session.flush()
    _conditional_update(
        session,
        report,
        seen,
        DRAFT_STATE,
        state=new_state,
        number=number,
        snapshot_json=issued.to_json(),
        approved_by=f"{actor.name} <{actor.email}>",
        approved_at=now,
    )
    return report


def board_recipients(plan: Plan) -> list[str]:
    addresses = [a.strip() for a in re.split(r"[,;\s]+", plan.board_recipients) if a.strip()]
    bad = [a for a in addresses if not valid_email(a)]
    if bad:
        raise Refused(f"Ogiltiga mottagaradresser för nämnden: {', '.join(bad)}.")
    return list(dict.fromkeys(a.lower() for a in addresses))


def mail_domain(settings: Settings) -> str:
    return settings.mail_from.rpartition("@")[2] or "localhost"


def send_report(
    session: Session,
    registry: WorkflowRegistry,
    report_id: int,
    *,
    now: datetime,
    settings: Settings,
) -> list[OutboxMessage]:
    """Queue an issued report to the nämnd's recipients, PDF and DOCX attached."""
    from tracker.reports.mail import board_message

    report = get_report(session, report_id)
    seen = report.version
    try:
        new_state = registry.get(report.workflow).fire(report.state, SEND, roles={"system"})
    except TransitionRefused as exc:
        raise Refused(exc.reason) from exc
    plan = session.get(Plan, report.plan_id)
    assert plan is not None
    recipients = board_recipients(plan)
    if not recipients:
        raise Refused(
            "Planen har inga mottagare i nämnden. Ange e-postadresserna och skicka sedan "
            "återrapporten igen."
        )
    files = {
        f.format: f
        for f in session.exec(select(ReportFile).where(ReportFile.report_id == report_id))
    }
    _conditional_update(session, report, seen, report.state, state=new_state, sent_at=now)
    snapshot = document_snapshot(report)
    attached = [files[f] for f in ATTACHED if f in files]
    reply_to = reply_address(session, [plan.id or 0])
    occasion = (
        None
        if isinstance(snapshot, ControlSnapshot)
        else occasion_of(
            plan_occasions(
                session, registry, plan, snapshot.as_of, settings.report_draft_days_before
            ),
            snapshot.as_of,
        )
    )
    queued = [
        enqueue(
            session,
            board_message(to, snapshot, attached, reply_to, occasion),
            kind="aterrapport",
            forvaltning=plan.forvaltning,
            now=now,
            domain=mail_domain(settings),
        )
        for to in recipients
    ]
    for message in queued:
        assert message.id is not None
        session.add(OutboxReport(message_id=message.id, report_id=report_id))
    return queued


def deliveries(session: Session, report_ids: list[int]) -> dict[int, Delivery]:
    """Per report, its messages to the nämnd as the outbox has them. A report sent before the
    messages were linked to it has none here."""
    return outbox_deliveries(
        session,
        sa_select(col(OutboxReport.report_id), col(OutboxReport.message_id)).where(
            col(OutboxReport.report_id).in_(report_ids)
        ),
    )


def state_label(registry: WorkflowRegistry, report: Report, delivery: Delivery | None) -> str:
    """The report's state as its pages show it: the workflow's label, except that a report
    whose mail has not reached every recipient is not called sent (the workflow moves on when
    the mail is queued)."""
    if report.state == SENT_STATE:
        status = delivery_status(delivery, report.sent_at)
        if status == DELIVERY_FAILED:
            return "Godkänd, utskicket misslyckades"
        if status == DELIVERY_WAITING:
            return "Godkänd, i utkorgen"
    states = registry.get(report.workflow).definition.states
    return next((st.label for st in states if st.id == report.state), report.state)


@dataclass(frozen=True)
class Sending:
    """A report's way to the nämnd as every page, the API and the CLI tell it: queued is not
    sent."""

    state_label: str
    # None until it is queued.
    status: DeliveryStatus | None
    # When the last recipient's message went; None until every one has.
    delivered_at: datetime | None
    # Its messages in the outbox; None for a report sent before they were linked to it.
    delivery: Delivery | None


def sendings(
    session: Session, registry: WorkflowRegistry, shown: list[Report]
) -> dict[int, Sending]:
    """Per report id, its sending: one read of the outbox for all of them."""
    ids = [r.id for r in shown if r.id is not None]
    found = deliveries(session, ids)
    out = {}
    for report in shown:
        assert report.id is not None
        delivery = found.get(report.id)
        out[report.id] = Sending(
            state_label=state_label(registry, report, delivery),
            status=delivery_status(delivery, report.sent_at),
            delivered_at=delivered_at(delivery, report.sent_at),
            delivery=delivery,
        )
    return out
