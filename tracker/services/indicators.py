"""An åtgärd's indicators: adding one, correcting or removing one, recording a measured value
or removing a wrong one, importing values from a file, and what a report shows of them as of
its date.

Each change is also an event in the åtgärd's history (tracker.services.actions.record_fact),
written in the caller's transaction. An issued återrapport keeps what it printed: it is a
snapshot, so a later correction changes only the reports made after it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from tracker.domain.evaluation import (
    NAME_LIMIT,
    UNIT_LIMIT,
    IndicatorFacts,
    Measured,
    ValueRow,
    check_date,
    latest,
    number_in_full,
    with_unit,
)
from tracker.domain.problems import FileRefused, Problem
from tracker.errors import NotFound, Refused
from tracker.models import Action, Indicator, IndicatorValue, Person
from tracker.services import actions as action_service

# The fields of an indicator, as its forms name them: what a refusal is about.
NAME_FIELD, UNIT_FIELD, BASELINE_FIELD = "name", "unit", "baseline"
BASELINE_ON_FIELD, TARGET_FIELD = "baseline_on", "target"


class IndicatorRefused(Refused):
    """An indicator the rules refuse, naming the field (one of the *_FIELD names) it is about,
    so that a form can show the reason beside it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class IndicatorRow:
    """An indicator with its values, oldest first: what the åtgärd's page lists."""

    indicator: Indicator
    values: tuple[IndicatorValue, ...]

    def measured(self) -> list[str]:
        """Each value as "78 % (2020-06-30)", oldest first."""
        return [value_text(self.indicator, v) for v in self.values]

    def form_values(self) -> dict[str, str]:
        """The indicator as its edit form shows it, by the form's field names."""
        ind = self.indicator

        def number(value: float | None) -> str:
            return "" if value is None else number_in_full(value)

        return {
            NAME_FIELD: ind.name,
            UNIT_FIELD: ind.unit,
            BASELINE_FIELD: number(ind.baseline_value),
            BASELINE_ON_FIELD: ind.baseline_on.isoformat() if ind.baseline_on else "",
            TARGET_FIELD: number(ind.target_value),
        }

    def facts(self, as_of: date | None = None) -> IndicatorFacts:
        ind = self.indicator
        return IndicatorFacts(
            name=ind.name,
            unit=ind.unit,
            baseline=(
                Measured(ind.baseline_value, ind.baseline_on)
                if ind.baseline_value is not None and ind.baseline_on is not None
                else None
            ),
            baseline_value=ind.baseline_value,
            target=ind.target_value,
            latest=latest((Measured(v.value, v.measured_on) for v in self.values), as_of),
        )


def indicators_of(session: Session, action_ids: Iterable[int]) -> dict[int, list[IndicatorRow]]:
    """The indicators of these åtgärder, in the order they were added, with their values."""
    ids = list(action_ids)
    if not ids:
        return {}
    indicators = list(
        session.exec(
            select(Indicator)
            .where(col(Indicator.action_id).in_(ids))
            .order_by(col(Indicator.action_id), col(Indicator.id))
        )
    )
    values: dict[int, list[IndicatorValue]] = defaultdict(list)
    if indicators:
        for v in session.exec(
            select(IndicatorValue)
            .where(col(IndicatorValue.indicator_id).in_([i.id for i in indicators]))
            .order_by(col(IndicatorValue.indicator_id), col(IndicatorValue.measured_on))
        ):
            values[v.indicator_id].append(v)
    out: dict[int, list[IndicatorRow]] = defaultdict(list)
    for ind in indicators:
        out[ind.action_id].append(IndicatorRow(ind, tuple(values[ind.id or 0])))
    return out


def _find(session: Session, action_id: int, name: str) -> Indicator | None:
    return session.exec(
        select(Indicator).where(Indicator.action_id == action_id, Indicator.name == name)
    ).first()


def add_indicator(
    session: Session,
    action_id: int,
    *,
    now: datetime,
    actor: Person | None,
    name: str,
    unit: str = "",
    baseline_value: float | None = None,
    baseline_on: date | None = None,
    target_value: float | None = None,
) -> Indicator:
    """A new indicator of the åtgärd, or Refused (no name, a name it already has, a baseline
    date without a value)."""
    action_service.get_action(session, action_id)
    name, unit = _checked(name, unit, baseline_value, baseline_on)
    _check_unique(session, action_id, name, None)
    indicator = Indicator(
        action_id=action_id,
        name=name,
        unit=unit,
        baseline_value=baseline_value,
        baseline_on=baseline_on,
        target_value=target_value,
        created_at=now,
    )
    session.add(indicator)
    session.flush()
    parts: list[str] = []
    if baseline_value is not None:
        when = f" ({baseline_on.isoformat()})" if baseline_on is not None else ""
        parts.append(f"utgångsvärde {with_unit(baseline_value, unit)}{when}")
    if target_value is not None:
        parts.append(f"mål {with_unit(target_value, unit)}")
    action_service.record_fact(
        session,
        action_id,
        action_service.INDICATOR_ADDED,
        f"Indikator: {name}" + (f" ({', '.join(parts)})" if parts else ""),
        now=now,
        actor=actor,
    )
    return indicator


def _checked(
    name: str, unit: str, baseline_value: float | None, baseline_on: date | None
) -> tuple[str, str]:
    """The name on one line and the unit trimmed, or IndicatorRefused naming the field."""
    name = " ".join(name.split())
    unit = unit.strip()
    if not name:
        raise IndicatorRefused("Skriv indikatorns namn.", NAME_FIELD)
    if len(name) > NAME_LIMIT:
        raise IndicatorRefused(f"Indikatorns namn får vara högst {NAME_LIMIT} tecken.", NAME_FIELD)
    if len(unit) > UNIT_LIMIT:
        raise IndicatorRefused(f"Enheten får vara högst {UNIT_LIMIT} tecken.", UNIT_FIELD)
    if baseline_on is not None and baseline_value is None:
        raise IndicatorRefused("Ange utgångsvärdet till utgångsvärdets datum.", BASELINE_FIELD)
    if baseline_on is not None:
        _check(baseline_on, "Utgångsvärdets datum", BASELINE_ON_FIELD)
    return name, unit


def _check_unique(session: Session, action_id: int, name: str, own_id: int | None) -> None:
    found = _find(session, action_id, name)
    if found is not None and found.id != own_id:
        raise IndicatorRefused(f"Åtgärden har redan en indikator som heter '{name}'.", NAME_FIELD)


def _check(day: date, label: str, field: str | None = None) -> None:
    try:
        check_date(day, label)
    except ValueError as exc:
        raise IndicatorRefused(f"{exc}.", field) from None


def _baseline(value: float | None, on: date | None, unit: str) -> str:
    """ "72,5 % (2019-06-30)", as the history writes a baseline; "inget" without one."""
    if value is None:
        return "inget"
    return with_unit(value, unit) + (f" ({on.isoformat()})" if on is not None else "")


def _target(value: float | None, unit: str) -> str:
    return "inget" if value is None else with_unit(value, unit)


def _changes(indicator: Indicator, new: Indicator) -> list[str]:
    """What an edit changes, old → new, in the words of the history."""
    old = indicator
    pairs = [
        ("namn", old.name, new.name),
        ("enhet", old.unit or "ingen", new.unit or "ingen"),
        (
            "utgångsvärde",
            _baseline(old.baseline_value, old.baseline_on, old.unit),
            _baseline(new.baseline_value, new.baseline_on, new.unit),
        ),
        ("mål", _target(old.target_value, old.unit), _target(new.target_value, new.unit)),
    ]
    return [f"{label} {before} → {after}" for label, before, after in pairs if before != after]


def edit_indicator(
    session: Session,
    indicator: Indicator,
    *,
    now: datetime,
    actor: Person | None,
    name: str,
    unit: str = "",
    baseline_value: float | None = None,
    baseline_on: date | None = None,
    target_value: float | None = None,
) -> bool:
    """The indicator's name, unit, baseline and target corrected, by the rules a new one
    follows; whether anything changed (an unchanged form writes no history)."""
    name, unit = _checked(name, unit, baseline_value, baseline_on)
    _check_unique(session, indicator.action_id, name, indicator.id)
    # A transient row to compare with, never added to the session.
    wanted = Indicator(
        action_id=indicator.action_id,
        name=name,
        unit=unit,
        baseline_value=baseline_value,
        baseline_on=baseline_on,
        target_value=target_value,
        created_at=indicator.created_at,
    )
    changes = _changes(indicator, wanted)
    if not changes:
        return False
    before = indicator.name
    indicator.name, indicator.unit = name, unit
    indicator.baseline_value, indicator.baseline_on = baseline_value, baseline_on
    indicator.target_value = target_value
    session.add(indicator)
    session.flush()
    action_service.record_fact(
        session,
        indicator.action_id,
        action_service.INDICATOR_EDITED,
        f"Indikator: {before} ({', '.join(changes)})",
        now=now,
        actor=actor,
    )
    return True


def values_of(session: Session, indicator: Indicator) -> list[IndicatorValue]:
    """The indicator's measured values, oldest first."""
    return list(
        session.exec(
            select(IndicatorValue)
            .where(IndicatorValue.indicator_id == indicator.id)
            .order_by(col(IndicatorValue.measured_on))
        )
    )


def remove_indicator(
    session: Session, indicator: Indicator, *, now: datetime, actor: Person | None
) -> None:
    """The indicator gone with its measured values; the history says what it held."""
    values = values_of(session, indicator)
    action_id, name = indicator.action_id, indicator.name
    for v in values:
        session.delete(v)
    # The values go first: the indicator's row is what they refer to.
    session.flush()
    session.delete(indicator)
    session.flush()
    held = "utan mätvärden" if not values else f"med {len(values)} mätvärde"
    held += "n" if len(values) > 1 else ""
    action_service.record_fact(
        session,
        action_id,
        action_service.INDICATOR_REMOVED,
        f"Indikator: {name} ({held})",
        now=now,
        actor=actor,
    )


def get_indicator(session: Session, action_id: int, indicator_id: int) -> Indicator:
    indicator = session.get(Indicator, indicator_id)
    if indicator is None or indicator.action_id != action_id:
        raise NotFound("Åtgärden har ingen sådan indikator.")
    return indicator


def value_text(indicator: Indicator, value: IndicatorValue) -> str:
    """ "78 % (2020-06-30)": a measured value as the åtgärd's page and its history show it."""
    return f"{with_unit(value.value, indicator.unit)} ({value.measured_on.isoformat()})"


def get_value(session: Session, indicator: Indicator, value_id: int) -> IndicatorValue:
    value = session.get(IndicatorValue, value_id)
    if value is None or value.indicator_id != indicator.id:
        raise NotFound("Indikatorn har inget sådant mätvärde.")
    return value


def remove_value(
    session: Session,
    indicator: Indicator,
    value: IndicatorValue,
    *,
    now: datetime,
    actor: Person | None,
) -> None:
    """A wrongly recorded value gone; the history keeps what it was."""
    session.delete(value)
    session.flush()
    action_service.record_fact(
        session,
        indicator.action_id,
        action_service.VALUE_REMOVED,
        f"{indicator.name}: {value_text(indicator, value)}",
        now=now,
        actor=actor,
    )


def record_value(
    session: Session,
    indicator: Indicator,
    *,
    now: datetime,
    actor: Person | None,
    measured_on: date,
    value: float,
) -> IndicatorValue:
    """The value measured on a date; a value already recorded for that date is replaced."""
    _check(measured_on, "Datumet")
    assert indicator.id is not None
    row = session.exec(
        select(IndicatorValue).where(
            IndicatorValue.indicator_id == indicator.id, IndicatorValue.measured_on == measured_on
        )
    ).first()
    if row is not None and row.value == value:
        return row
    if row is None:
        row = IndicatorValue(
            indicator_id=indicator.id, measured_on=measured_on, value=value, created_at=now
        )
    else:
        row.value = value
    session.add(row)
    session.flush()
    action_service.record_fact(
        session,
        indicator.action_id,
        action_service.MEASURED,
        f"{indicator.name}: {with_unit(value, indicator.unit)} ({measured_on.isoformat()})",
        now=now,
        actor=actor,
    )
    return row


def import_values(
    session: Session,
    plan_id: int,
    rows: list[ValueRow],
    filename: str,
    *,
    now: datetime,
    actor: Person | None,
) -> int:
    """The file's values, each for an åtgärd of the plan, its indicator created (with the
    file's unit) when the åtgärd has none by that name: all of them, or FileRefused with every
    row that cannot be used, by row and column. The number of values recorded."""
    problems: list[Problem] = []
    in_plan = set(
        session.exec(
            select(Action.id).where(
                Action.plan_id == plan_id, col(Action.id).in_({r.action_id for r in rows})
            )
        )
    )
    units: dict[tuple[int, str], str] = {}
    for r in rows:
        if r.action_id not in in_plan:
            problems.append(
                Problem(f"planen har ingen åtgärd {r.action_id}", row=r.row, column="Åtgärd-id")
            )
            continue
        key = (r.action_id, r.name)
        if key not in units:
            existing = _find(session, r.action_id, r.name)
            units[key] = existing.unit if existing is not None else r.unit
        if units[key] != r.unit:
            problems.append(
                Problem(
                    f"indikatorn '{r.name}' har enheten '{units[key]}', inte '{r.unit}'",
                    row=r.row,
                    column="Enhet",
                )
            )
    if problems:
        raise FileRefused(filename, problems)
    for r in rows:
        indicator = _find(session, r.action_id, r.name) or add_indicator(
            session, r.action_id, now=now, actor=actor, name=r.name, unit=r.unit
        )
        record_value(
            session, indicator, now=now, actor=actor, measured_on=r.measured_on, value=r.value
        )
    return len(rows)


def facts_as_of(
    session: Session, action_ids: Iterable[int], as_of: date
) -> dict[int, tuple[IndicatorFacts, ...]]:
    """What a report as of `as_of` shows: each indicator with the latest value measured by
    that date. The values carry their own dates, so values measured by then and recorded
    later (a file imported after the period) count, and values measured later do not."""
    return {
        action_id: tuple(r.facts(as_of) for r in rows)
        for action_id, rows in indicators_of(session, action_ids).items()
    }
