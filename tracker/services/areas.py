"""Utvecklingsområden: changing one's title or section heading, each change recorded in the
area's history (area_event), in the caller's transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from tracker.errors import NotFound, Refused
from tracker.models import Area, AreaEvent, Person

# What edit_area may change, with the words the history uses for it.
FIELD_LABELS = {"title": "Namn", "section": "Rubrik ovanför"}


@dataclass(frozen=True)
class AreaChange:
    field: str
    old: str
    new: str

    def describe(self) -> str:
        return f"{FIELD_LABELS[self.field]}: {_quoted(self.old)} → {_quoted(self.new)}"


def _quoted(value: str) -> str:
    return f"'{value}'" if value else "(ingen)"


def get_area(session: Session, plan_id: int, area_id: int) -> Area:
    area = session.get(Area, area_id)
    if area is None or area.plan_id != plan_id:
        raise NotFound(f"Inget utvecklingsområde med nummer {area_id} i planen.")
    return area


def edit_area(
    session: Session,
    area: Area,
    *,
    title: str,
    section: str,
    now: datetime,
    actor: Person | None,
) -> list[AreaChange]:
    """Give the area this title and section heading; what changed, each also recorded.
    Refused if the title is empty or another area of the plan has it."""
    values = {"title": title.strip(), "section": section.strip()}
    if not values["title"]:
        raise Refused("Utvecklingsområdets namn måste fyllas i.")
    changes = [
        AreaChange(k, getattr(area, k), v) for k, v in values.items() if getattr(area, k) != v
    ]
    if not changes:
        return []
    _check_title_free(session, area, values["title"])
    for change in changes:
        setattr(area, change.field, change.new)
        session.add(_event(area, change, now, actor))
    session.add(area)
    session.flush()
    return changes


def _check_title_free(session: Session, area: Area, title: str) -> None:
    # Titles are unique within a plan (an import finds an area by its title).
    taken = session.exec(
        select(Area.id).where(Area.plan_id == area.plan_id, Area.title == title, Area.id != area.id)
    ).first()
    if taken is not None:
        raise Refused(f"Planen har redan ett utvecklingsområde som heter '{title}'.")


def _event(area: Area, change: AreaChange, now: datetime, actor: Person | None) -> AreaEvent:
    assert area.id is not None
    return AreaEvent(
        area_id=area.id,
        at=now,
        actor_id=actor.id if actor is not None else None,
        actor_label=f"{actor.name} <{actor.email}>" if actor is not None else "systemet",
        field=change.field,
        old=change.old,
        new=change.new,
    )


def history(session: Session, area_id: int) -> list[AreaEvent]:
    """The area's changes, newest first."""
    return list(
        session.exec(
            select(AreaEvent)
            .where(AreaEvent.area_id == area_id)
            .order_by(col(AreaEvent.at).desc(), col(AreaEvent.id).desc())
        )
    )


def fields_then(session: Session, plan_id: int, cutoff: datetime) -> dict[int, dict[str, str]]:
    """For each area of the plan changed after the cutoff, its changed fields as they were
    then: each change's old value, undone from the newest back to the first after it."""
    rows = session.execute(
        core_select(col(AreaEvent.area_id), col(AreaEvent.field), col(AreaEvent.old))
        .join(Area, col(Area.id) == AreaEvent.area_id)
        .where(col(Area.plan_id) == plan_id, col(AreaEvent.at) > cutoff)
        .order_by(col(AreaEvent.at).desc(), col(AreaEvent.id).desc())
    )
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for area_id, field, old in rows:
        out[area_id][field] = old
    return out
