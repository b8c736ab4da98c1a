"""An återrapport as pure data: the snapshot it is built from, and the view a renderer draws.

The snapshot is what an issued report archives (as JSON): the plan, each åtgärd's state and
processläge as they were on the report date, the counts of earlier reports and the changes
since the last one. `compose()` turns it into a `ReportView`: rows with status sentences,
summary counts, the chart's series and the list of changes. No database, no clock: the same
snapshot always gives the same view, which is what lets an archived report be rendered again
byte for byte.
"""

from __future__ import annotations

import calendar
import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from notifications.swedish import month_year, short_month_year
from tracker.domain.schedule import SCHEDULE_LABELS, ScheduleStatus, schedule_status

SCHEMA = 1
DEFAULT_WORKFLOW = "atgard"


# --- The snapshot -------------------------------------------------------------------------


@dataclass(frozen=True)
class StateInfo:
    id: str
    label: str
    done: bool = False
    final: bool = False
    initial: bool = False


@dataclass(frozen=True)
class ActionSnap:
    id: int
    text: str
    tidsplan: str
    due_on: date | None
    evaluate_on: date | None
    next_report_on: date | None
    workflow: str
    # State and processläge as they were at the snapshot's cutoff, from the event history.
    state: str
    note: str


@dataclass(frozen=True)
class AreaSnap:
    title: str
    section: str
    actions: tuple[ActionSnap, ...]


@dataclass(frozen=True)
class PlanSnap:
    id: int
    title: str
    forvaltning: str = ""
    namnd: str = ""
    background: str = ""
    dnr: str = ""
    ort: str = ""
    signatory_name: str = ""
    signatory_title: str = ""


@dataclass(frozen=True)
class EarlierReport:
    """An issued report before this one: its counts per state make the progress chart."""

    number: int
    as_of: date
    by_state: dict[str, int]


@dataclass(frozen=True)
class ChangeSnap:
    """What happened to one åtgärd since the last issued report.

    from_state None: the åtgärd is new since then.
    """

    action_id: int
    from_state: str | None
    to_state: str
    new_note: bool


@dataclass(frozen=True)
class IssueSnap:
    """Set when the report is issued (approved): it is then numbered and frozen."""

    number: int
    issued_at: datetime
    approved_by: str


@dataclass(frozen=True)
class Snapshot:
    plan: PlanSnap
    as_of: date
    # Events at or before this instant are in the report.
    cutoff: datetime
    built_at: datetime
    # First day of the month the report is for, and when the next one is due (if known).
    period: date
    next_report_on: date | None
    workflows: dict[str, tuple[StateInfo, ...]]
    areas: tuple[AreaSnap, ...]
    earlier: tuple[EarlierReport, ...] = ()
    changes: tuple[ChangeSnap, ...] = ()
    issue: IssueSnap | None = None
    schema: int = SCHEMA

    @property
    def previous(self) -> EarlierReport | None:
        return self.earlier[-1] if self.earlier else None

    def actions(self) -> list[ActionSnap]:
        return [a for area in self.areas for a in area.actions]

    def state_info(self, workflow: str, state: str) -> StateInfo:
        for s in self.workflows.get(workflow, ()):
            if s.id == state:
                return s
        # A state no longer in the definition still reads as itself.
        return StateInfo(id=state, label=state)

    def issued(self, issue: IssueSnap) -> Snapshot:
        return replace(self, issue=issue)

    # JSON: stable key order and explicit types, so the same snapshot gives the same text.
    def to_json(self) -> str:
        return json.dumps(_to_dict(self), ensure_ascii=False, sort_keys=True, indent=1)

    @staticmethod
    def from_json(text: str) -> Snapshot:
        return _from_dict(json.loads(text))


def state_counts(snapshot: Snapshot) -> dict[str, int]:
    return dict(Counter(a.state for a in snapshot.actions()))


def _d(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _pd(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _to_dict(s: Snapshot) -> dict[str, Any]:
    return {
        "schema": s.schema,
        "plan": s.plan.__dict__,
        "as_of": _d(s.as_of),
        "cutoff": s.cutoff.isoformat(),
        "built_at": s.built_at.isoformat(),
        "period": _d(s.period),
        "next_report_on": _d(s.next_report_on),
        "workflows": {name: [st.__dict__ for st in states] for name, states in s.workflows.items()},
        "areas": [
            {
                "title": area.title,
                "section": area.section,
                "actions": [
                    {
                        **a.__dict__,
                        "due_on": _d(a.due_on),
                        "evaluate_on": _d(a.evaluate_on),
                        "next_report_on": _d(a.next_report_on),
                    }
                    for a in area.actions
                ],
            }
            for area in s.areas
        ],
        "earlier": [
            {"number": e.number, "as_of": _d(e.as_of), "by_state": e.by_state} for e in s.earlier
        ],
        "changes": [c.__dict__ for c in s.changes],
        "issue": (
            None
            if s.issue is None
            else {
                "number": s.issue.number,
                "issued_at": s.issue.issued_at.isoformat(),
                "approved_by": s.issue.approved_by,
            }
        ),
    }


def _from_dict(d: dict[str, Any]) -> Snapshot:
    if d.get("schema") != SCHEMA:
        raise ValueError(f"okänd version av ögonblicksbilden: {d.get('schema')}")
    issue = d.get("issue")
    as_of = _pd(d["as_of"])
    period = _pd(d["period"])
    assert as_of is not None and period is not None
    return Snapshot(
        plan=PlanSnap(**d["plan"]),
        as_of=as_of,
        cutoff=datetime.fromisoformat(d["cutoff"]),
        built_at=datetime.fromisoformat(d["built_at"]),
        period=period,
        next_report_on=_pd(d["next_report_on"]),
        workflows={
            name: tuple(StateInfo(**st) for st in states) for name, states in d["workflows"].items()
        },
        areas=tuple(
            AreaSnap(
                title=area["title"],
                section=area["section"],
                actions=tuple(
                    ActionSnap(
                        **{
                            **a,
                            "due_on": _pd(a["due_on"]),
                            "evaluate_on": _pd(a["evaluate_on"]),
                            "next_report_on": _pd(a["next_report_on"]),
                        }
                    )
                    for a in area["actions"]
                ),
            )
            for area in d["areas"]
        ),
        earlier=tuple(
            EarlierReport(
                number=e["number"], as_of=date.fromisoformat(e["as_of"]), by_state=e["by_state"]
            )
            for e in d["earlier"]
        ),
        changes=tuple(ChangeSnap(**c) for c in d["changes"]),
        issue=(
            None
            if issue is None
            else IssueSnap(
                number=issue["number"],
                issued_at=datetime.fromisoformat(issue["issued_at"]),
                approved_by=issue["approved_by"],
            )
        ),
    )


# --- Sentences ----------------------------------------------------------------------------


def status_sentence(
    state: StateInfo, schedule: ScheduleStatus, due_on: date | None, *, has_schedule: bool
) -> str:
    """The sentence a processläge starts with.

    Only a started, unfinished åtgärd is measured against its tidsplan in the sentence
    ("Pågår enligt tidsplan." / "Pågår, försenad: skulle vara klart mars 2018."); one without
    any tidsplan reads just "Pågår.". A not-started one reads "Ej påbörjat." as in the Piteå
    report, and is listed among the försenade in the summary when it is late.
    """
    if state.initial or state.done:
        return f"{state.label}."
    if schedule is ScheduleStatus.overdue and due_on is not None:
        return f"{state.label}, försenad: skulle vara klart {month_year(due_on)}."
    if not has_schedule:
        return f"{state.label}."
    return f"{state.label} enligt tidsplan."


def next_report_sentence(when: date) -> str:
    return f"Ny återrapport {month_year(when)}."


# --- The view -----------------------------------------------------------------------------


BULLETS = ("•", "◦", "▪", "-", "–", "*")
# Characters XML (so DOCX, and HTML parsers) cannot carry; they come with text pasted from
# other programs and mean nothing in a document.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def strip_control(text: str) -> str:
    return _CONTROL.sub("", text)


@dataclass(frozen=True)
class Para:
    text: str
    bullet: bool = False


def paragraphs(text: str) -> tuple[Para, ...]:
    """One paragraph per non-empty line; a line starting with a bullet becomes a list item."""
    out: list[Para] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if line[0] in BULLETS and len(line) > 1 and line[1] == " ":
            out.append(Para(line[2:].strip(), bullet=True))
        else:
            out.append(Para(line))
    return tuple(out)


def short_text(text: str, limit: int = 110) -> str:
    """The first paragraph of a text, shortened for a list."""
    paras = paragraphs(text)
    first = paras[0].text if paras else ""
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


RowKind = Literal["section", "action", "empty_area"]


@dataclass(frozen=True)
class Row:
    kind: RowKind
    # The utvecklingsområde, on the first row of its area only (the others continue it).
    area_title: str = ""
    first_of_area: bool = True
    action_id: int | None = None
    action: tuple[Para, ...] = ()
    tidsplan: tuple[Para, ...] = ()
    processlage: tuple[Para, ...] = ()
    state_label: str = ""
    schedule: ScheduleStatus | None = None


@dataclass(frozen=True)
class CountItem:
    label: str
    count: int


@dataclass(frozen=True)
class ListedAction:
    area_title: str
    action: str
    detail: str


@dataclass(frozen=True)
class ChartPoint:
    label: str
    sublabel: str
    counts: tuple[int, ...]
    current: bool = False


@dataclass(frozen=True)
class Chart:
    series: tuple[StateInfo, ...]
    points: tuple[ChartPoint, ...]


@dataclass(frozen=True)
class ReportView:
    title: str
    heading: str
    is_draft: bool
    number: int | None
    as_of: date
    date_text: str
    plan: PlanSnap
    background: tuple[Para, ...]
    total: int
    by_state: tuple[CountItem, ...]
    by_schedule: tuple[CountItem, ...]
    overdue: tuple[ListedAction, ...]
    chart: Chart
    changes: tuple[ListedAction, ...]
    changes_intro: str
    rows: tuple[Row, ...]
    issued_line: str
    # For document metadata: fixed by the snapshot, never the clock.
    created: datetime
    meta: dict[str, str] = field(default_factory=dict)


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def _next_report(action: ActionSnap, snapshot: Snapshot) -> date | None:
    # An åtgärd's own date counts only when it is after this report's month.
    if action.next_report_on is not None and action.next_report_on > month_end(snapshot.period):
        return action.next_report_on
    return snapshot.next_report_on


def _processlage(
    action: ActionSnap, state: StateInfo, schedule: ScheduleStatus, snapshot: Snapshot
) -> tuple[Para, ...]:
    has_schedule = bool(action.due_on or action.evaluate_on or action.tidsplan.strip())
    sentence = status_sentence(state, schedule, action.due_on, has_schedule=has_schedule)
    parts = [Para(sentence), *paragraphs(action.note)]
    nxt = _next_report(action, snapshot)
    # A finished åtgärd has nothing more to report, as in the Piteå report.
    if not state.done and nxt is not None:
        parts.append(Para(next_report_sentence(nxt)))
    return tuple(parts)


def _series(snapshot: Snapshot) -> tuple[StateInfo, ...]:
    used = {a.workflow for a in snapshot.actions()} | {DEFAULT_WORKFLOW}
    seen: set[str] = set()
    out: list[StateInfo] = []
    for name, states in snapshot.workflows.items():
        if name not in used:
            continue
        for s in states:
            if s.id not in seen:
                seen.add(s.id)
                out.append(s)
    return tuple(out)


@dataclass
class _Table:
    """The report's table, and what the pass over its åtgärder counts and lists beside it."""

    rows: list[Row] = field(default_factory=list)
    by_state: Counter[str] = field(default_factory=Counter)
    by_schedule: Counter[ScheduleStatus] = field(default_factory=Counter)
    overdue: list[ListedAction] = field(default_factory=list)
    # Per åtgärd: its area's title and its own text shortened, for the list of changes.
    titles: dict[int, tuple[str, str]] = field(default_factory=dict)

    def add_action(
        self, snapshot: Snapshot, area_title: str, first: bool, action: ActionSnap
    ) -> None:
        state = snapshot.state_info(action.workflow, action.state)
        schedule = schedule_status(
            done=state.done,
            final=state.final,
            due_on=action.due_on,
            evaluate_on=action.evaluate_on,
            today=snapshot.as_of,
        )
        self.by_state[state.id] += 1
        self.by_schedule[schedule] += 1
        short = short_text(action.text)
        self.titles[action.id] = (area_title, short)
        if schedule is ScheduleStatus.overdue and action.due_on is not None:
            self.overdue.append(
                ListedAction(
                    area_title=area_title,
                    action=short,
                    detail=f"{state.label}; skulle vara klart {month_year(action.due_on)}",
                )
            )
        self.rows.append(
            Row(
                kind="action",
                area_title=area_title if first else "",
                first_of_area=first,
                action_id=action.id,
                action=paragraphs(action.text),
                tidsplan=paragraphs(action.tidsplan),
                processlage=_processlage(action, state, schedule, snapshot),
                state_label=state.label,
                schedule=schedule,
            )
        )


def _build_table(snapshot: Snapshot) -> _Table:
    """Area by area, a heading row where a new section begins, then a row per åtgärd (or one
    saying the area has none)."""
    table = _Table()
    section = ""
    for area in snapshot.areas:
        if area.section and area.section != section:
            section = area.section
            table.rows.append(Row(kind="section", area_title=section))
        if not area.actions:
            table.rows.append(Row(kind="empty_area", area_title=area.title))
        for i, action in enumerate(area.actions):
            table.add_action(snapshot, area.title, i == 0, action)
    return table


def _chart(snapshot: Snapshot, series: tuple[StateInfo, ...], by_state: Counter[str]) -> Chart:
    """One point per earlier report, and this one last."""
    points = [
        ChartPoint(
            label=f"Nr {e.number}",
            sublabel=short_month_year(e.as_of),
            counts=tuple(e.by_state.get(s.id, 0) for s in series),
        )
        for e in snapshot.earlier
    ]
    issue = snapshot.issue
    points.append(
        ChartPoint(
            label=f"Nr {issue.number}" if issue else "Nu",
            sublabel=short_month_year(snapshot.as_of),
            counts=tuple(by_state.get(s.id, 0) for s in series),
            current=True,
        )
    )
    return Chart(series=series, points=tuple(points))


def _changes_intro(previous: EarlierReport | None, changes: list[ListedAction]) -> str:
    if previous is None:
        return "Detta är planens första återrapport."
    if not changes:
        return (
            f"Inga åtgärder har bytt läge eller fått nytt processläge sedan återrapport "
            f"nr {previous.number} ({previous.as_of.isoformat()})."
        )
    return f"Sedan återrapport nr {previous.number} ({previous.as_of.isoformat()}):"


def _issued_line(issue: IssueSnap | None, plan: PlanSnap) -> str:
    if issue is None:
        return "Utkast, inte godkänt."
    return (
        f"Återrapport nr {issue.number}"
        + (f", Dnr {plan.dnr}" if plan.dnr else "")
        + f". Godkänd {issue.issued_at.date().isoformat()} av {issue.approved_by}."
    )


def _meta(plan: PlanSnap, heading: str) -> dict[str, str]:
    return {
        "title": plan.title,
        "author": ", ".join(x for x in (plan.signatory_name, plan.forvaltning) if x),
        "subject": heading + (f", Dnr {plan.dnr}" if plan.dnr else ""),
    }


def compose(snapshot: Snapshot) -> ReportView:
    table = _build_table(snapshot)
    series = _series(snapshot)
    changes = _changes(snapshot, table.titles)
    plan = snapshot.plan
    issue = snapshot.issue
    heading = f"Återrapport nr {issue.number}" if issue else "Utkast till återrapport"
    return ReportView(
        title=plan.title,
        heading=heading,
        is_draft=issue is None,
        number=issue.number if issue else None,
        as_of=snapshot.as_of,
        date_text=snapshot.as_of.isoformat(),
        plan=plan,
        background=paragraphs(plan.background),
        total=sum(table.by_state.values()),
        by_state=tuple(CountItem(s.label, table.by_state.get(s.id, 0)) for s in series),
        by_schedule=tuple(
            CountItem(SCHEDULE_LABELS[st], table.by_schedule.get(st, 0)) for st in ScheduleStatus
        ),
        overdue=tuple(table.overdue),
        chart=_chart(snapshot, series, table.by_state),
        changes=tuple(changes),
        changes_intro=_changes_intro(snapshot.previous, changes),
        rows=tuple(table.rows),
        issued_line=_issued_line(issue, plan),
        created=issue.issued_at if issue else snapshot.built_at,
        meta=_meta(plan, heading),
    )


def _changes(snapshot: Snapshot, titles: dict[int, tuple[str, str]]) -> list[ListedAction]:
    out: list[ListedAction] = []
    order = {a.id: i for i, a in enumerate(snapshot.actions())}
    workflows = {a.id: a.workflow for a in snapshot.actions()}
    for c in sorted(snapshot.changes, key=lambda c: order.get(c.action_id, len(order))):
        if c.action_id not in titles:
            continue
        wf = workflows[c.action_id]
        to_label = snapshot.state_info(wf, c.to_state).label
        parts: list[str] = []
        if c.from_state is None:
            parts.append(f"ny åtgärd ({to_label})")
        elif c.from_state != c.to_state:
            parts.append(f"{snapshot.state_info(wf, c.from_state).label} → {to_label}")
        if c.new_note:
            parts.append("nytt processläge")
        if not parts:
            continue
        detail = ", ".join(parts)
        area_title, action = titles[c.action_id]
        out.append(
            ListedAction(
                area_title=area_title, action=action, detail=detail[0].upper() + detail[1:]
            )
        )
    return out
