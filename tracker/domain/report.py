"""An återrapport as pure data: the snapshot it is built from, and the view a renderer draws.

The snapshot is what an issued report archives (as JSON): the plan, each åtgärd's state and
processläge as they were on the report date, the counts of earlier reports and the changes
since the last one. `compose()` turns it into a `ReportView`: rows with each processläge as
its writer wrote it and, apart from it, what the tracker itself knows (state, late or not);
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
from enum import StrEnum
from typing import Any, Literal

from notifications.swedish import long_date, month_year, short_month_year
from tracker.domain.escalation import new_schedule_line
from tracker.domain.meetings import board_meeting
from tracker.domain.schedule import ScheduleStatus, schedule_status

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
    # Struck from the plan ("Utgår"): its row is marked so, and it is never late.
    withdrawn: bool = False


@dataclass(frozen=True)
class ActionSnap:
    id: int
    text: str
    tidsplan: str
    due_on: date | None
    evaluate_on: date | None
    next_report_on: date | None
    workflow: str
    # State and processläge as they were at the snapshot's cutoff, from the event history,
    # and the local date the processläge was written (None where that is not known).
    state: str
    note: str
    note_on: date | None = None
    # The klart-datum before a new one was agreed on an escalation, if one was by then.
    original_due_on: date | None = None
    # The förväntad effekt as it read then; the answers of the latest evaluation by then
    # (label as asked, answer); each indicator (name, "72 % (2019-06-30) → …, mål 85 %").
    expected_effect: str = ""
    evaluation: tuple[tuple[str, str], ...] = ()
    indicators: tuple[tuple[str, str], ...] = ()


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
    # The nämnd's decision the plan answers to. Absent from snapshots archived before it was
    # kept, which read as a plan without one.
    decision_on: date | None = None
    decision_paragraph: str = ""


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
class MeetingSnap:
    """The nämnd's meeting (sammanträde) the report goes to, as the sammanträdesplan had it
    when the draft was built: an issued report keeps it even if the meeting moves later."""

    board: str
    held_on: date


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
    # None for a report at no meeting of a sammanträdesplan (an extra report, a nämnd
    # without one), and in snapshots archived before the meeting was kept.
    meeting: MeetingSnap | None = None
    # Whether the Word file's title names the report as the PDF's and the HTML's do (every
    # snapshot built since); False in those archived before, whose Word file had the plan's
    # title, so that they render to the bytes archived (tracker report verify).
    word_title_names_report: bool = False

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
    out = {
        "schema": s.schema,
        "plan": _plan_dict(s.plan),
        "as_of": _d(s.as_of),
        "cutoff": s.cutoff.isoformat(),
        "built_at": s.built_at.isoformat(),
        "period": _d(s.period),
        "next_report_on": _d(s.next_report_on),
        "workflows": {
            name: [_state_dict(st) for st in states] for name, states in s.workflows.items()
        },
        "areas": [
            {
                "title": area.title,
                "section": area.section,
                "actions": [_action_dict(a) for a in area.actions],
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
    # Only where there is a meeting: other snapshots read as those archived before the key
    # existed.
    if s.meeting is not None:
        out["meeting"] = {"board": s.meeting.board, "held_on": _d(s.meeting.held_on)}
    if s.word_title_names_report:
        out["word_title_names_report"] = True
    return out


def _meeting_from_dict(d: dict[str, Any] | None) -> MeetingSnap | None:
    if not d:
        return None
    return MeetingSnap(board=d["board"], held_on=date.fromisoformat(d["held_on"]))


def _plan_dict(plan: PlanSnap) -> dict[str, Any]:
    # The decision only where there is one: a snapshot of a plan without it reads as the
    # snapshots archived before the keys existed.
    out = {**plan.__dict__, "decision_on": _d(plan.decision_on)}
    for key in ("decision_on", "decision_paragraph"):
        if not out[key]:
            del out[key]
    return out


def _plan_from_dict(d: dict[str, Any]) -> PlanSnap:
    return PlanSnap(**{**d, "decision_on": _pd(d.get("decision_on"))})


def _action_dict(a: ActionSnap) -> dict[str, Any]:
    out = {
        **a.__dict__,
        "due_on": _d(a.due_on),
        "evaluate_on": _d(a.evaluate_on),
        "next_report_on": _d(a.next_report_on),
        "note_on": _d(a.note_on),
        "original_due_on": _d(a.original_due_on),
    }
    # Only where a new date was agreed: other snapshots read as those archived before the key
    # existed.
    if a.original_due_on is None:
        del out["original_due_on"]
    # The same for the evaluation's keys: only where there is something to say.
    for key in ("expected_effect", "evaluation", "indicators"):
        if not out[key]:
            del out[key]
        elif key != "expected_effect":
            out[key] = [list(pair) for pair in out[key]]
    return out


def _state_dict(state: StateInfo) -> dict[str, Any]:
    # "withdrawn" only where true: a snapshot of a workflow without such a state reads as
    # the snapshots archived before the key existed.
    out = dict(state.__dict__)
    if not state.withdrawn:
        del out["withdrawn"]
    return out


def _from_dict(d: dict[str, Any]) -> Snapshot:
    if d.get("schema") != SCHEMA:
        raise ValueError(f"okänd version av ögonblicksbilden: {d.get('schema')}")
    issue = d.get("issue")
    as_of = _pd(d["as_of"])
    period = _pd(d["period"])
    assert as_of is not None and period is not None
    return Snapshot(
        plan=_plan_from_dict(d["plan"]),
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
                            # Absent from snapshots archived before it was kept.
                            "note_on": _pd(a.get("note_on")),
                            "original_due_on": _pd(a.get("original_due_on")),
                            "evaluation": _pairs(a.get("evaluation")),
                            "indicators": _pairs(a.get("indicators")),
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
        meeting=_meeting_from_dict(d.get("meeting")),
        word_title_names_report=bool(d.get("word_title_names_report", False)),
    )


def _pairs(value: list[list[str]] | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(label), str(text)) for label, text in value or ())


# --- Against the tidsplan -----------------------------------------------------------------


class Pace(StrEnum):
    """Where an åtgärd stands against its tidsplan on the report date."""

    on_time = "i_tid"
    late = "forsenad"
    evaluation_late = "utvardering_forsenad"
    undated = "utan_datum"
    # Struck from the plan: measured against no tidsplan.
    withdrawn = "utgar"


# The summary's counts; the table says the same in lower case, with the date that passed.
PACE_LABELS = {
    Pace.on_time: "I tid",
    Pace.late: "Försenade",
    Pace.evaluation_late: "Utvärdering försenad",
    Pace.undated: "Utan datum",
    Pace.withdrawn: "Utgår",
}


@dataclass(frozen=True)
class Timing:
    pace: Pace
    # The date that has passed, when the åtgärd is late.
    since: date | None = None

    @property
    def is_late(self) -> bool:
        return self.pace in (Pace.late, Pace.evaluation_late)

    @property
    def text(self) -> str:
        """'i tid', 'försenad sedan 2017-12-31', 'utvärdering försenad sedan 2018-10-31'."""
        since = self.since.isoformat() if self.since else ""
        return {
            Pace.on_time: "i tid",
            Pace.late: f"försenad sedan {since}",
            Pace.evaluation_late: f"utvärdering försenad sedan {since}",
            Pace.undated: "inget datum i tidsplanen",
            Pace.withdrawn: "utgår, räknas inte",
        }[self.pace]


def timing(action: ActionSnap, state: StateInfo, as_of: date) -> Timing:
    """Whether the åtgärd is late on `as_of`. The one rule the summary's counts, the table's
    rows and the list of försenade åtgärder all follow, so they cannot disagree. Any state
    short of done is late after its due date, "Ej påbörjat" as much as "Pågår"; a withdrawn
    one never is, whatever its dates."""
    if state.withdrawn:
        return Timing(Pace.withdrawn)
    status = schedule_status(
        done=state.done,
        final=state.final,
        due_on=action.due_on,
        evaluate_on=action.evaluate_on,
        today=as_of,
    )
    if status is ScheduleStatus.overdue:
        return Timing(Pace.late, action.due_on)
    if status is ScheduleStatus.evaluation_overdue:
        return Timing(Pace.evaluation_late, action.evaluate_on)
    if action.due_on is None and action.evaluate_on is None:
        return Timing(Pace.undated)
    return Timing(Pace.on_time)


# --- Texts --------------------------------------------------------------------------------


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
    """The first paragraph of a text, shortened for a list at a space between words: a word
    cut in two reads as another word (or none)."""
    paras = paragraphs(text)
    first = paras[0].text if paras else ""
    if len(first) <= limit:
        return first
    # One character is left for the ellipsis; one more is looked at to see whether the cut
    # falls between two words.
    head = first[:limit]
    kept = head.rsplit(" ", 1)[0] if " " in head else head[: limit - 1]
    return kept.rstrip(" ,;:") + "…"


# --- The view -----------------------------------------------------------------------------


RowKind = Literal["section", "action", "empty_area"]


@dataclass(frozen=True)
class Fact:
    """Something the tracker itself knows about an åtgärd, shown with its label."""

    label: str
    value: str


@dataclass(frozen=True)
class Detail:
    """A labelled text beside the processläge: the förväntad effekt, an evaluation's answer,
    an indicator's progress."""

    label: str
    value: str

    @property
    def lead(self) -> str:
        """The label as printed before the text: a question keeps its question mark."""
        label = self.label.strip()
        return label if label.endswith(("?", ":", ".")) else f"{label}:"


@dataclass(frozen=True)
class Row:
    kind: RowKind
    # The utvecklingsområde (the section's heading on a section row). Printed on the first
    # row of its area only; the rows after it continue it.
    area_title: str = ""
    first_of_area: bool = True
    action_id: int | None = None
    action: tuple[Para, ...] = ()
    tidsplan: tuple[Para, ...] = ()
    # A new klart-datum agreed on an escalation, with the original: the tracker's own fact,
    # shown under the tidsplan as written, never in it.
    new_schedule: str = ""
    # The processläge exactly as its writer wrote it, and the line saying when that was.
    note: tuple[Para, ...] = ()
    note_line: str = ""
    # The tracker's own facts (state, against the tidsplan): beside the note, never in it.
    facts: tuple[Fact, ...] = ()
    # What the tracker says of the åtgärd itself, under its text ("Åtgärden utgår.").
    mark: str = ""
    state_label: str = ""
    timing: Timing | None = None
    # The förväntad effekt, the evaluation's answers and the indicators, in that order.
    evaluation: tuple[Detail, ...] = ()


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
    # Under the heading: the nämnd's decision the report answers to ("" when none is known).
    decision_line: str
    # Under the heading: the meeting the report goes to ("" when it goes to none).
    meeting_line: str
    is_draft: bool
    number: int | None
    as_of: date
    date_text: str
    plan: PlanSnap
    background: tuple[Para, ...]
    total: int
    by_state: tuple[CountItem, ...]
    by_timing: tuple[CountItem, ...]
    late: tuple[ListedAction, ...]
    # None for a plan's first report: a single bar shows no development.
    chart: Chart | None
    changes: tuple[ListedAction, ...]
    changes_intro: str
    next_report_line: str
    rows: tuple[Row, ...]
    issued_line: str
    # For document metadata: fixed by the snapshot, never the clock.
    created: datetime
    meta: dict[str, str] = field(default_factory=dict)


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def _own_next_report(action: ActionSnap, snapshot: Snapshot) -> date | None:
    """The åtgärd's own next report date, when it is after this report's month and not the
    plan's (which the summary gives)."""
    own = action.next_report_on
    if own is None or own <= month_end(snapshot.period) or own == snapshot.next_report_on:
        return None
    return own


def _note_line(action: ActionSnap, state: StateInfo) -> str:
    # The date makes an old processläge visibly old in a report made long after it.
    if state.withdrawn:
        # Withdrawing asks for a reason, which becomes the processläge, and a withdrawn
        # åtgärd takes no new one: the note is the reason.
        if not action.note.strip():
            return "Inget skäl angivet."
        when = f", skrivet {action.note_on.isoformat()}" if action.note_on else ""
        return f"Skäl till att åtgärden utgår{when}."
    if not action.note.strip():
        return "Inget processläge ännu."
    return f"Skrivet {action.note_on.isoformat()}." if action.note_on else ""


def _facts(
    action: ActionSnap, state: StateInfo, when: Timing, snapshot: Snapshot
) -> tuple[Fact, ...]:
    facts = [Fact("Registrerat läge", state.label), Fact("Mot tidsplanen", when.text)]
    own = _own_next_report(action, snapshot)
    # A finished åtgärd has nothing more to report.
    if own is not None and not state.done:
        facts.append(Fact("Nästa återrapport", month_year(own)))
    return tuple(facts)


def _evaluation(action: ActionSnap) -> tuple[Detail, ...]:
    """What the åtgärd was expected to do and what the evaluation and the indicators say,
    each answer on its own line."""
    details: list[Detail] = []
    if action.expected_effect.strip():
        details.append(Detail("Förväntad effekt", _one_line(action.expected_effect)))
    details.extend(Detail(label, _one_line(text) or "–") for label, text in action.evaluation)
    details.extend(Detail(name, progress) for name, progress in action.indicators)
    return tuple(details)


def _one_line(text: str) -> str:
    return " ".join(p.text for p in paragraphs(text))


def _series(snapshot: Snapshot, by_state: Counter[str]) -> tuple[StateInfo, ...]:
    used = {a.workflow for a in snapshot.actions()} | {DEFAULT_WORKFLOW}
    seen: set[str] = set()
    out: list[StateInfo] = []
    for name, states in snapshot.workflows.items():
        if name not in used:
            continue
        for s in states:
            if s.id not in seen and (not s.withdrawn or _ever_counted(s.id, snapshot, by_state)):
                seen.add(s.id)
                out.append(s)
    return tuple(out)


def _ever_counted(state: str, snapshot: Snapshot, by_state: Counter[str]) -> bool:
    """Whether any åtgärd is in the state now or was at an earlier report. A withdrawn state
    is listed (and charted) only then: most plans never withdraw one, and a row of zeros in
    every report would say nothing."""
    return by_state.get(state, 0) > 0 or any(e.by_state.get(state, 0) for e in snapshot.earlier)


@dataclass
class _Table:
    """The report's table, and what the pass over its åtgärder counts and lists beside it."""

    rows: list[Row] = field(default_factory=list)
    by_state: Counter[str] = field(default_factory=Counter)
    by_timing: Counter[Pace] = field(default_factory=Counter)
    late: list[ListedAction] = field(default_factory=list)
    # Per åtgärd: its area's title and its own text shortened, for the list of changes.
    titles: dict[int, tuple[str, str]] = field(default_factory=dict)

    def add_action(
        self, snapshot: Snapshot, area_title: str, first: bool, action: ActionSnap
    ) -> None:
        state = snapshot.state_info(action.workflow, action.state)
        when = timing(action, state, snapshot.as_of)
        short = short_text(action.text)
        self._count(action, state, when, area_title, short)
        self.rows.append(
            Row(
                kind="action",
                area_title=area_title,
                first_of_area=first,
                action_id=action.id,
                action=paragraphs(action.text),
                tidsplan=paragraphs(action.tidsplan),
                new_schedule=new_schedule_line(action.due_on, action.original_due_on),
                note=paragraphs(action.note),
                note_line=_note_line(action, state),
                facts=_facts(action, state, when, snapshot),
                state_label=state.label,
                timing=when,
                mark="Åtgärden utgår." if state.withdrawn else "",
                evaluation=_evaluation(action),
            )
        )

    def _count(
        self, action: ActionSnap, state: StateInfo, when: Timing, area_title: str, short: str
    ) -> None:
        self.by_state[state.id] += 1
        self.by_timing[when.pace] += 1
        self.titles[action.id] = (area_title, short)
        if when.is_late:
            self.late.append(ListedAction(area_title, short, f"{state.label}, {when.text}"))


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


def _by_timing(counts: Counter[Pace]) -> tuple[CountItem, ...]:
    # "Utan datum" and "Utgår" only where there are such åtgärder; the other three always,
    # zero or not.
    rare = (Pace.undated, Pace.withdrawn)
    return tuple(
        CountItem(PACE_LABELS[pace], counts.get(pace, 0))
        for pace in Pace
        if pace not in rare or counts.get(pace, 0)
    )


def _chart(
    snapshot: Snapshot, series: tuple[StateInfo, ...], by_state: Counter[str]
) -> Chart | None:
    """One point per earlier report, and this one last; none before there is an earlier one."""
    if not snapshot.earlier:
        return None
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


def _next_report_line(when: date | None) -> str:
    return f"Nästa återrapport: {month_year(when)}." if when else ""


_DNR = re.compile(r"dnr\b", re.IGNORECASE)


def dnr_text(dnr: str) -> str:
    """'Dnr BUN 2017/112' from a stored Dnr, with or without the word already in it."""
    dnr = dnr.strip()
    if not dnr or _DNR.match(dnr):
        return dnr
    return f"Dnr {dnr}"


def decision_line(plan: PlanSnap) -> str:
    """'Återrapport enligt beslut BUN 2017-06-14 § 45, Dnr BUN 2017/112': the nämnd, the
    decision's date and paragraph, and the Dnr, each where known; nothing without a date."""
    if plan.decision_on is None:
        return ""
    said = " ".join(
        p for p in (plan.namnd, plan.decision_on.isoformat(), plan.decision_paragraph) if p
    )
    dnr = dnr_text(plan.dnr)
    return f"Återrapport enligt beslut {said}" + (f", {dnr}" if dnr else "")


def meeting_text(meeting: MeetingSnap) -> str:
    """'Barn- och utbildningsnämndens sammanträde den 14 juni 2018'."""
    return f"{board_meeting(meeting.board)} den {long_date(meeting.held_on)}"


def meeting_line(meeting: MeetingSnap | None) -> str:
    """'Till Barn- och utbildningsnämndens sammanträde den 14 juni 2018'; nothing without a
    meeting."""
    return f"Till {meeting_text(meeting)}" if meeting is not None else ""


def _issued_line(issue: IssueSnap | None, plan: PlanSnap) -> str:
    if issue is None:
        return "Utkast, inte godkänt."
    return (
        f"Återrapport nr {issue.number}"
        + (f", Dnr {plan.dnr}" if plan.dnr else "")
        + f". Godkänd {issue.issued_at.date().isoformat()} av {issue.approved_by}."
    )


def _meta(plan: PlanSnap, heading: str, date_text: str, word_names: bool) -> dict[str, str]:
    """The document's properties. Its title names the report, not only the plan, so that
    a reader with several of a plan's återrapporter open tells them apart in every format;
    the Word file of a snapshot archived before had the plan's title (word_title)."""
    title = f"{plan.title} – {heading} {date_text}"
    return {
        "title": title,
        "word_title": title if word_names else plan.title,
        "author": ", ".join(x for x in (plan.signatory_name, plan.forvaltning) if x),
        "subject": heading + (f", Dnr {plan.dnr}" if plan.dnr else ""),
    }


def compose(snapshot: Snapshot) -> ReportView:
    table = _build_table(snapshot)
    series = _series(snapshot, table.by_state)
    changes = _changes(snapshot, table.titles)
    plan = snapshot.plan
    issue = snapshot.issue
    heading = f"Återrapport nr {issue.number}" if issue else "Utkast till återrapport"
    date_text = snapshot.as_of.isoformat()
    return ReportView(
        title=plan.title,
        heading=heading,
        decision_line=decision_line(plan),
        meeting_line=meeting_line(snapshot.meeting),
        is_draft=issue is None,
        number=issue.number if issue else None,
        as_of=snapshot.as_of,
        date_text=date_text,
        plan=plan,
        background=paragraphs(plan.background),
        total=sum(table.by_state.values()),
        by_state=tuple(CountItem(s.label, table.by_state.get(s.id, 0)) for s in series),
        by_timing=_by_timing(table.by_timing),
        late=tuple(table.late),
        chart=_chart(snapshot, series, table.by_state),
        changes=tuple(changes),
        changes_intro=_changes_intro(snapshot.previous, changes),
        next_report_line=_next_report_line(snapshot.next_report_on),
        rows=tuple(table.rows),
        issued_line=_issued_line(issue, plan),
        created=issue.issued_at if issue else snapshot.built_at,
        meta=_meta(plan, heading, date_text, snapshot.word_title_names_report),
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
