"""The follow-up of an internkontrollplan ("Uppföljning av internkontrollplan 2025") as pure
data: the snapshot a report of the internkontroll kind archives, and the view its three
documents are drawn from.

It is an återrapport of another kind: the same Report row, numbering, approval, archive and
mail to the nämnd (tracker.services.reports), with a snapshot that carries `kind` so that the
report is rendered from the right templates. What it holds: the risks (the matrix), each
kontrollmoment with its controls done in the period (date, result, urval, metod, the
deviation, the chef's bedömning), the deviations with their åtgärd as it stood on the report
date, the controls not done and why, and the chef's overall assessment, which the chef
writes into the draft and which is frozen with the rest when the report is issued.

No database and no clock: the same snapshot always gives the same view, so an archived
report renders again byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from notifications.swedish import long_date
from tracker.domain.report import (
    EarlierReport,
    IssueSnap,
    Para,
    PlanSnap,
    StateInfo,
    dnr_text,
    paragraphs,
)
from tracker.domain.risk import RiskScale
from tracker.domain.risk_matrix import (
    MatrixTable,
    PlacedRisk,
    RiskRow,
    matrix_svg,
    matrix_table,
    risk_rows,
)

KIND = "internkontroll"
SCHEMA = 1
# The answers of the owner's report ("genomfor" in workflows/definitions/kontroll.toml), by
# field id.
RESULT_FIELD = "resultat"
DEVIATION_FIELD = "avvikelse"
SAMPLE_FIELD = "urval"
METHOD_FIELD = "metod"
DEVIATION_RESULT = "Avvikelse"
# The longest overall assessment the chef may write: several pages in the document.
ASSESSMENT_LIMIT = 20_000


# --- The snapshot -------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlPlanSnap:
    id: int
    title: str
    namnd: str
    year: int
    forvaltning: str = ""


@dataclass(frozen=True)
class RiskSnap:
    number: int
    process: str
    name: str
    likelihood: int
    consequence: int
    # How a risk without kontrollmoment is handled ("Risken accepteras").
    handling: str = ""


@dataclass(frozen=True)
class ControlSnap:
    """One control (an åtgärd in the "kontroll" workflow) as it stood at the cutoff."""

    action_id: int
    due_on: date
    state: str
    # The owner's report: when, by whom, and the answers as given.
    done_on: date | None = None
    reported_by: str = ""
    result: str = ""
    deviation: str = ""
    sample: str = ""
    method: str = ""
    # The chef's bedömning of the result.
    assessment: str = ""
    assessed_on: date | None = None
    assessed_by: str = ""
    # Why it is not made ("Görs inte"), and when that was decided.
    reason: str = ""
    reason_on: date | None = None


@dataclass(frozen=True)
class PointSnap:
    """A kontrollmoment and its controls that belong in the report."""

    risk_number: int
    process: str
    text: str
    method: str
    frequency_text: str
    owner: str
    controls: tuple[ControlSnap, ...] = ()


@dataclass(frozen=True)
class DeviationSnap:
    """The åtgärd a deviation opened, as it stood at the cutoff."""

    action_id: int
    control_action_id: int
    point_text: str
    control_done_on: date | None
    # The deviation as the owner described it, and the åtgärd's text (opened as the same
    # words, perhaps edited since).
    deviation: str
    text: str
    owner: str
    due_on: date | None
    state: str
    note: str = ""
    note_on: date | None = None


@dataclass(frozen=True)
class CarriedSnap:
    """The åtgärd a deviation opened in an earlier year's plan of the same nämnd (the plan
    this one was copied from, and so on back), not done when this plan's year began, as it
    stood at the cutoff."""

    action_id: int
    plan_year: int
    point_text: str
    control_done_on: date | None
    deviation: str
    text: str
    owner: str
    due_on: date | None
    state: str
    note: str = ""
    note_on: date | None = None
    # The day it was done (or withdrawn) during this plan's year; None while it is open.
    closed_on: date | None = None


@dataclass(frozen=True)
class ControlSnapshot:
    plan: PlanSnap
    control_plan: ControlPlanSnap
    as_of: date
    # Events after `since` (None: from the start of the plan's year) and at or before
    # `cutoff` are the period's.
    cutoff: datetime
    built_at: datetime
    period_start: date
    period_name: str
    full_year: bool
    next_report_on: date | None
    workflows: dict[str, tuple[StateInfo, ...]]
    scale: dict[str, Any]
    risks: tuple[RiskSnap, ...]
    points: tuple[PointSnap, ...]
    deviations: tuple[DeviationSnap, ...]
    earlier: tuple[EarlierReport, ...] = ()
    # The day the plan came into the product, when that is after the period's start: the
    # controls due before it were never opened, so the report cannot say whether they were
    # made (tracker.services.control_occurrences.due_controls).
    followed_from: date | None = None
    # The last day of the period when it ends before `as_of`: the whole year's follow-up
    # drafted after new year covers the plan's year, with the läge of `as_of`. None in
    # snapshots stored before the field existed, whose period ended on `as_of`.
    period_end: date | None = None
    # Earlier years' deviations still open when the plan's year began. Empty in snapshots
    # stored before the field existed, and then neither stored nor shown, so that they
    # render as they did.
    carried: tuple[CarriedSnap, ...] = ()
    # The chef's overall assessment, written in the draft; required before approval.
    assessment: str = ""
    assessment_by: str = ""
    issue: IssueSnap | None = None
    kind: str = KIND
    schema: int = SCHEMA

    @property
    def previous(self) -> EarlierReport | None:
        return self.earlier[-1] if self.earlier else None

    @property
    def period(self) -> date:
        return self.period_start

    @property
    def period_until(self) -> date:
        """The period's last day."""
        return self.period_end if self.period_end is not None else self.as_of

    def risk_scale(self) -> RiskScale:
        return RiskScale.from_dict(self.scale)

    def state_info(self, workflow: str, state: str) -> StateInfo:
        for s in self.workflows.get(workflow, ()):
            if s.id == state:
                return s
        return StateInfo(id=state, label=state)

    def issued(self, issue: IssueSnap) -> ControlSnapshot:
        return replace(self, issue=issue)

    def with_assessment(self, text: str, by: str) -> ControlSnapshot:
        return replace(self, assessment=text, assessment_by=by)

    def counts(self) -> dict[str, int]:
        """Controls per state, as the report row's counts_json keeps them."""
        out: dict[str, int] = {}
        for point in self.points:
            for c in point.controls:
                out[c.state] = out.get(c.state, 0) + 1
        return out

    def to_json(self) -> str:
        return json.dumps(_to_dict(self), ensure_ascii=False, sort_keys=True, indent=1)

    @staticmethod
    def from_json(text: str) -> ControlSnapshot:
        return _from_dict(json.loads(text))


# The marker of this kind in a stored snapshot, as json.dumps writes the top-level key. Inside
# any string value the quotes would be escaped, so an återrapport's text cannot contain it.
KIND_MARKER = f'"kind": "{KIND}"'


def is_control_json(text: str) -> bool:
    """Whether a stored snapshot is of this kind, without parsing it (an återrapport of a
    large plan is megabytes of JSON, and the lists of reports ask this of every row)."""
    return KIND_MARKER in text


def answer_values(answers_json: str | None) -> dict[str, str]:
    """The answers kept with an event, by field id (tracker.services.actions.answers_json)."""
    if not answers_json:
        return {}
    return {
        str(a.get("id", "")): str(a.get("value", ""))
        for a in json.loads(answers_json)
        if isinstance(a, dict)
    }


def _d(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _pd(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _dated(obj: Any) -> dict[str, Any]:
    return {k: (_d(v) if isinstance(v, date) else v) for k, v in obj.__dict__.items()}


def _to_dict(s: ControlSnapshot) -> dict[str, Any]:
    plan = {**s.plan.__dict__, "decision_on": _d(s.plan.decision_on)}
    return {
        "kind": s.kind,
        "schema": s.schema,
        "plan": plan,
        "control_plan": dict(s.control_plan.__dict__),
        "as_of": _d(s.as_of),
        "cutoff": s.cutoff.isoformat(),
        "built_at": s.built_at.isoformat(),
        "period_start": _d(s.period_start),
        "period_name": s.period_name,
        "full_year": s.full_year,
        "next_report_on": _d(s.next_report_on),
        "workflows": {
            name: [dict(st.__dict__) for st in states] for name, states in s.workflows.items()
        },
        "scale": s.scale,
        "risks": [dict(r.__dict__) for r in s.risks],
        "points": [{**_dated(p), "controls": [_dated(c) for c in p.controls]} for p in s.points],
        "deviations": [_dated(d) for d in s.deviations],
        "earlier": [
            {"number": e.number, "as_of": _d(e.as_of), "by_state": e.by_state} for e in s.earlier
        ],
        "followed_from": _d(s.followed_from),
        # Only when the period ends before the läge, so that other snapshots stay as they were.
        **({"period_end": _d(s.period_end)} if s.period_end is not None else {}),
        # Only when there is something to carry, for the same reason.
        **({"carried": [_dated(c) for c in s.carried]} if s.carried else {}),
        "assessment": s.assessment,
        "assessment_by": s.assessment_by,
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


def _control_from(d: dict[str, Any]) -> ControlSnap:
    return ControlSnap(
        **{
            **d,
            "due_on": date.fromisoformat(d["due_on"]),
            "done_on": _pd(d.get("done_on")),
            "assessed_on": _pd(d.get("assessed_on")),
            "reason_on": _pd(d.get("reason_on")),
        }
    )


def _from_dict(d: dict[str, Any]) -> ControlSnapshot:
    if d.get("kind") != KIND or d.get("schema") != SCHEMA:
        raise ValueError(f"okänd ögonblicksbild: {d.get('kind')} version {d.get('schema')}")
    issue = d.get("issue")
    as_of = _pd(d["as_of"])
    start = _pd(d["period_start"])
    assert as_of is not None and start is not None
    return ControlSnapshot(
        plan=PlanSnap(**{**d["plan"], "decision_on": _pd(d["plan"].get("decision_on"))}),
        control_plan=ControlPlanSnap(**d["control_plan"]),
        as_of=as_of,
        cutoff=datetime.fromisoformat(d["cutoff"]),
        built_at=datetime.fromisoformat(d["built_at"]),
        period_start=start,
        period_name=d["period_name"],
        full_year=d["full_year"],
        next_report_on=_pd(d["next_report_on"]),
        workflows={
            name: tuple(StateInfo(**st) for st in states) for name, states in d["workflows"].items()
        },
        scale=d["scale"],
        risks=tuple(RiskSnap(**r) for r in d["risks"]),
        points=tuple(
            PointSnap(
                **{
                    **{k: v for k, v in p.items() if k != "controls"},
                    "controls": tuple(_control_from(c) for c in p["controls"]),
                }
            )
            for p in d["points"]
        ),
        deviations=tuple(
            DeviationSnap(
                **{
                    **x,
                    "control_done_on": _pd(x.get("control_done_on")),
                    "due_on": _pd(x.get("due_on")),
                    "note_on": _pd(x.get("note_on")),
                }
            )
            for x in d["deviations"]
        ),
        earlier=tuple(
            EarlierReport(
                number=e["number"], as_of=date.fromisoformat(e["as_of"]), by_state=e["by_state"]
            )
            for e in d["earlier"]
        ),
        # Absent from snapshots stored before the field existed.
        followed_from=_pd(d.get("followed_from")),
        period_end=_pd(d.get("period_end")),
        carried=tuple(
            CarriedSnap(
                **{
                    **x,
                    "control_done_on": _pd(x.get("control_done_on")),
                    "due_on": _pd(x.get("due_on")),
                    "note_on": _pd(x.get("note_on")),
                    "closed_on": _pd(x.get("closed_on")),
                }
            )
            for x in d.get("carried", ())
        ),
        assessment=d["assessment"],
        assessment_by=d["assessment_by"],
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


# --- The view -----------------------------------------------------------------------------

# The workflows the snapshot's states come from (workflows/definitions/).
CONTROL_WORKFLOW = "kontroll"
ACTION_WORKFLOW = "atgard"
PLANNED_STATE = "planerad"


@dataclass(frozen=True)
class CountItem:
    label: str
    count: int


@dataclass(frozen=True)
class DoneRow:
    """A control done in the period, as its kontrollmoment's table shows it."""

    done_on: str
    due_on: str
    result: str
    is_deviation: bool
    sample: str
    method: str
    deviation: str
    assessment: str
    reported_by: str
    state_label: str


@dataclass(frozen=True)
class PointView:
    risk_number: int
    text: str
    method: str
    frequency_text: str
    owner: str
    done: tuple[DoneRow, ...]


@dataclass(frozen=True)
class ProcessView:
    name: str
    points: tuple[PointView, ...]


@dataclass(frozen=True)
class DeviationRow:
    control: str
    found: str
    deviation: str
    action: str
    owner: str
    due_on: str
    state_label: str
    note: str
    late: bool


@dataclass(frozen=True)
class CarriedRow:
    """An earlier year's deviation still open when the year began, as the section shows it."""

    plan: str
    control: str
    found: str
    deviation: str
    action: str
    owner: str
    due_on: str
    state_label: str
    note: str
    late: bool
    # "Ja, 2026-05-11" when it was done during the year, else "Nej".
    closed: str


@dataclass(frozen=True)
class NotDoneRow:
    control: str
    due_on: str
    owner: str
    why: str
    late: bool


@dataclass(frozen=True)
class ControlView:
    title: str
    heading: str
    is_draft: bool
    kicker: str
    running_head: str
    date_text: str
    period_line: str
    plan: PlanSnap
    control_plan: ControlPlanSnap
    summary: tuple[CountItem, ...]
    matrix_svg: str
    matrix_alt: str
    matrix: MatrixTable
    legend: tuple[RiskRow, ...]
    processes: tuple[ProcessView, ...]
    deviations: tuple[DeviationRow, ...]
    not_done: tuple[NotDoneRow, ...]
    # Earlier years' deviations (empty: the section is left out) and the line that opens it.
    carried: tuple[CarriedRow, ...]
    carried_line: str
    carried_closed_heading: str
    # What the list of controls not done covers, and what it says when it is empty.
    not_done_scope: str
    all_done_line: str
    assessment: tuple[Para, ...]
    assessment_by: str
    next_report_line: str
    place_date: str
    signer: str
    issued_line: str
    created: datetime
    meta: dict[str, str]


def report_title(year: int) -> str:
    return f"Uppföljning av internkontrollplan {year}"


def _day(d: date | None) -> str:
    return d.isoformat() if d is not None else "–"


def _period_line(s: ControlSnapshot) -> str:
    span = f"{long_date(s.period_start)} – {long_date(s.period_until)}"
    if s.period_until != s.as_of:
        span += f", läget per {long_date(s.as_of)}"
    return f"{s.period_name}: {span}" if s.period_name else f"Perioden {span}"


def _done_rows(s: ControlSnapshot, point: PointSnap) -> tuple[DoneRow, ...]:
    rows = []
    for c in point.controls:
        if c.done_on is None or s.state_info(CONTROL_WORKFLOW, c.state).withdrawn:
            continue
        if c.state == PLANNED_STATE:
            continue
        assessment = c.assessment
        if assessment and c.assessed_on:
            assessment = f"{assessment} ({c.assessed_by}, {c.assessed_on.isoformat()})"
        rows.append(
            DoneRow(
                done_on=c.done_on.isoformat(),
                due_on=c.due_on.isoformat(),
                result=c.result or "Inget resultat angivet",
                is_deviation=c.result == DEVIATION_RESULT,
                sample=c.sample,
                method=c.method,
                deviation=c.deviation,
                assessment=assessment or "Inte bedömd ännu.",
                reported_by=c.reported_by,
                state_label=s.state_info(CONTROL_WORKFLOW, c.state).label,
            )
        )
    return tuple(sorted(rows, key=lambda r: (r.done_on, r.due_on)))


def _not_done(s: ControlSnapshot) -> tuple[NotDoneRow, ...]:
    rows: list[tuple[date, NotDoneRow]] = []
    for point in s.points:
        for c in point.controls:
            info = s.state_info(CONTROL_WORKFLOW, c.state)
            if info.withdrawn:
                why = f"Görs inte: {c.reason}" if c.reason else "Görs inte."
                if c.reason_on:
                    why += f" (beslutat {c.reason_on.isoformat()})"
                late = False
            elif c.state == PLANNED_STATE and c.due_on < s.as_of:
                days = (s.as_of - c.due_on).days
                ago = "1 dag" if days == 1 else f"{days} dagar"
                why = f"Försenad: skulle ha varit gjord {c.due_on.isoformat()}, {ago} sedan."
                late = True
            else:
                continue
            rows.append(
                (
                    c.due_on,
                    NotDoneRow(
                        control=f"Risk {point.risk_number}: {point.text}",
                        due_on=c.due_on.isoformat(),
                        owner=point.owner or "–",
                        why=why,
                        late=late,
                    ),
                )
            )
    return tuple(row for _, row in sorted(rows, key=lambda pair: pair[0]))


def _not_done_scope(s: ControlSnapshot) -> str:
    if s.followed_from is None:
        return ""
    return (
        f"Internkontrollplanen lades in den {long_date(s.followed_from)}. Kontroller som "
        "skulle ha gjorts före dess har inte följts upp här och redovisas varken som gjorda "
        "eller som inte gjorda."
    )


def _deviations(s: ControlSnapshot) -> tuple[DeviationRow, ...]:
    rows = []
    for d in s.deviations:
        info = s.state_info(ACTION_WORKFLOW, d.state)
        late = not info.done and d.due_on is not None and d.due_on < s.as_of
        rows.append(
            DeviationRow(
                control=d.point_text,
                found=_day(d.control_done_on),
                deviation=d.deviation,
                action="" if d.text == d.deviation else d.text,
                owner=d.owner or "–",
                due_on=_day(d.due_on),
                state_label=info.label + (", försenad" if late else ""),
                note=_note(d.note, d.note_on),
                late=late,
            )
        )
    return tuple(rows)


def _note(note: str, note_on: date | None) -> str:
    if note and note_on:
        return f"{note} ({note_on.isoformat()})"
    return note or "Inget processläge skrivet."


def _carried(s: ControlSnapshot) -> tuple[CarriedRow, ...]:
    rows = []
    for c in s.carried:
        info = s.state_info(ACTION_WORKFLOW, c.state)
        late = not info.done and c.due_on is not None and c.due_on < s.as_of
        rows.append(
            CarriedRow(
                plan=f"Internkontrollplan {c.plan_year}",
                control=c.point_text,
                found=_day(c.control_done_on),
                deviation=c.deviation,
                action="" if c.text == c.deviation else c.text,
                owner=c.owner or "–",
                due_on=_day(c.due_on),
                state_label=info.label + (", försenad" if late else ""),
                note=_note(c.note, c.note_on),
                late=late,
                closed=f"Ja, {c.closed_on.isoformat()}" if c.closed_on else "Nej",
            )
        )
    return tuple(rows)


def _carried_line(s: ControlSnapshot) -> str:
    if not s.carried:
        return ""
    n = len(s.carried)
    closed = sum(1 for c in s.carried if c.closed_on is not None)
    began = "efter avvikelser i tidigare års internkontrollplaner var inte klar"
    year = s.control_plan.year
    if n == 1:
        since = "den har blivit klar sedan dess." if closed else "den är inte klar ännu."
        return f"1 åtgärd {began} när {year} började; {since}"
    klar = "klar" if closed == 1 else "klara"
    return (
        f"{n} åtgärder {began}a när {year} började; {closed} av dem har blivit {klar} sedan dess."
    )


def carried_note(s: ControlSnapshot) -> str:
    """What the draft's page says of the earlier years' deviations the document reports,
    or "" when it reports none."""
    n = len(s.carried)
    if not n:
        return ""
    what = "1 åtgärd" if n == 1 else f"{n} åtgärder"
    klar = "klar" if n == 1 else "klara"
    return (
        f"Uppföljningen redovisar också {what} efter avvikelser i tidigare års "
        f"internkontrollplaner som inte var {klar} när {s.control_plan.year} började."
    )


def _summary(s: ControlSnapshot, processes: tuple[ProcessView, ...]) -> tuple[CountItem, ...]:
    done = [r for p in processes for point in p.points for r in point.done]
    not_done = _not_done(s)
    open_deviations = [d for d in s.deviations if not s.state_info(ACTION_WORKFLOW, d.state).done]
    return (
        CountItem("Genomförda kontroller", len(done)),
        CountItem("varav utan anmärkning", sum(1 for r in done if not r.is_deviation)),
        CountItem("varav med avvikelse", sum(1 for r in done if r.is_deviation)),
        CountItem("Försenade kontroller", sum(1 for r in not_done if r.late)),
        CountItem("Kontroller som inte görs", sum(1 for r in not_done if not r.late)),
        CountItem("Åtgärder efter avvikelser", len(s.deviations)),
        CountItem("varav inte klara", len(open_deviations)),
    )


def _issued_line(s: ControlSnapshot) -> str:
    if s.issue is None:
        return "Utkast, inte godkänt."
    dnr = dnr_text(s.plan.dnr)
    return (
        f"Uppföljning nr {s.issue.number}"
        + (f", {dnr}" if dnr else "")
        + f". Godkänd {s.issue.issued_at.date().isoformat()} av {s.issue.approved_by}."
    )


# The matrix in a document names the bundled font first: the PDF engine and the DOCX's
# picture have only Liberation Sans, and a generic family alone may draw no text at all.
_DOCUMENT_FONT = 'font-family="Liberation Sans, Arial, sans-serif"'


def _processes(s: ControlSnapshot) -> tuple[ProcessView, ...]:
    """The control points grouped by process, in the plan's order, each with its controls."""
    by_process: dict[str, list[PointView]] = {}
    for point in s.points:
        by_process.setdefault(point.process, []).append(
            PointView(
                risk_number=point.risk_number,
                text=point.text,
                method=point.method,
                frequency_text=point.frequency_text,
                owner=point.owner or "–",
                done=_done_rows(s, point),
            )
        )
    return tuple(ProcessView(name, tuple(points)) for name, points in by_process.items())


def _all_done_line(s: ControlSnapshot) -> str:
    if s.followed_from is None:
        return "Alla kontroller som skulle vara gjorda är gjorda."
    return (
        f"Alla kontroller som skulle vara gjorda från den {long_date(s.followed_from)} är gjorda."
    )


def compose_control(s: ControlSnapshot) -> ControlView:
    scale = s.risk_scale()
    placed = [PlacedRisk(r.number, r.name, r.likelihood, r.consequence) for r in s.risks]
    svg = matrix_svg(scale, placed, id_prefix="riskmatris").replace(
        'font-family="sans-serif"', _DOCUMENT_FONT, 1
    )
    processes = _processes(s)
    title = report_title(s.control_plan.year)
    heading = f"Uppföljning nr {s.issue.number}" if s.issue else "Utkast till uppföljning"
    dnr = dnr_text(s.plan.dnr)
    date_text = s.as_of.isoformat()
    kicker = " · ".join(
        p
        for p in (s.control_plan.forvaltning or s.plan.forvaltning, s.control_plan.namnd, dnr)
        if p
    )
    signer = ", ".join(p for p in (s.plan.signatory_name, s.plan.signatory_title) if p)
    return ControlView(
        title=title,
        heading=heading,
        is_draft=s.issue is None,
        kicker=kicker,
        running_head=f"{title} – {s.control_plan.namnd}" + (f", {dnr}" if dnr else ""),
        date_text=date_text,
        period_line=_period_line(s),
        plan=s.plan,
        control_plan=s.control_plan,
        summary=_summary(s, processes),
        matrix_svg=svg,
        matrix_alt=(
            "Riskmatris med internkontrollplanens "
            + ("risk" if len(placed) == 1 else f"{len(placed)} risker")
            + " efter sannolikhet och konsekvens; samma uppgifter står i tabellerna under."
        ),
        matrix=matrix_table(scale, placed),
        legend=tuple(risk_rows(scale, placed)),
        processes=processes,
        deviations=_deviations(s),
        not_done=_not_done(s),
        carried=_carried(s),
        carried_line=_carried_line(s),
        carried_closed_heading=f"Klar under {s.control_plan.year}",
        not_done_scope=_not_done_scope(s),
        all_done_line=_all_done_line(s),
        assessment=paragraphs(s.assessment),
        assessment_by=s.assessment_by,
        next_report_line=(
            f"Nästa uppföljning: {long_date(s.next_report_on)}." if s.next_report_on else ""
        ),
        place_date=" ".join(p for p in (s.plan.ort, date_text) if p),
        signer=signer,
        issued_line=_issued_line(s),
        created=s.issue.issued_at if s.issue else s.built_at,
        meta={
            "title": f"{title} – {s.control_plan.namnd}",
            "author": ", ".join(
                x for x in (s.plan.signatory_name, s.control_plan.forvaltning) if x
            ),
            "subject": f"{heading}, {_period_line(s)}" + (f", {dnr}" if dnr else ""),
        },
    )
