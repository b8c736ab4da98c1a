"""An åtgärd's indicators: adding one, recording a measured value, importing values from a
file, and what a report shows of them as of its date.

Each addition is also an event in the åtgärd's history (tracker.services.actions.record_fact),
written in the caller's transaction.
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
    with_unit,
)
from tracker.domain.problems import FileRefused, Problem
from tracker.errors import NotFound, Refused
from tracker.models import Action, Indicator, IndicatorValue, Person
from tracker.services import actions as action_service


@dataclass(frozen=True)
class IndicatorRow:
    """An indicator with its values, oldest first: what the åtgärd's page lists."""

    indicator: Indicator
    values: tuple[IndicatorValue, ...]

    def measured(self) -> list[str]:
        """Each value as "78 % (2020-06-30)", oldest first."""
        unit = self.indicator.unit
        return [f"{with_unit(v.value, unit)} ({v.measured_on.isoformat()})" for v in self.values]

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
    name = " ".join(name.split())
    unit = unit.strip()
    if not name:
        raise Refused("Skriv indikatorns namn.")
    if len(name) > NAME_LIMIT:
        raise Refused(f"Indikatorns namn får vara högst {NAME_LIMIT} tecken.")
    if len(unit) > UNIT_LIMIT:
        raise Refused(f"Enheten får vara högst {UNIT_LIMIT} tecken.")
    if baseline_on is not None and baseline_value is None:
        raise Refused("Ange utgångsvärdet till utgångsvärdets datum.")
    if baseline_on is not None:
        _check(baseline_on, "Utgångsvärdets datum")
    if _find(session, action_id, name) is not None:
        raise Refused(f"Åtgärden har redan en indikator som heter '{name}'.")
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


def _check(day: date, label: str) -> None:
    try:
        check_date(day, label)
    except ValueError as exc:
        raise Refused(f"{exc}.") from None


def get_indicator(session: Session, action_id: int, indicator_id: int) -> Indicator:
    indicator = session.get(Indicator, indicator_id)
    if indicator is None or indicator.action_id != action_id:
        raise NotFound("Åtgärden har ingen sådan indikator.")
    return indicator


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
