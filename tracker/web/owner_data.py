"""The owner pages' read: the link's person and their åtgärder, in one statement built once,
in plain rows.

These pages are what most people open (every reminder carries a link), and building an ORM
statement costs more than running it: a statement run as tracker.db.Prepared and frozen rows
take this read from ~2.5 ms (ORM) to ~20 µs. It is one statement rather than one for the
person and one for the åtgärder because on PostgreSQL each statement is a round trip, which
costs more than the read itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    FromClause,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    column,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from tracker.db import Prepared
from tracker.models import Action, Area, Person, PersonRow, Plan

_ACTION: Table = Action.__table__  # type: ignore[attr-defined]
_AREA: Table = Area.__table__  # type: ignore[attr-defined]
_PLAN: Table = Plan.__table__  # type: ignore[attr-defined]
_PERSON: Table = Person.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OwnedAction:
    """An åtgärd as the owner page shows it (tracker.web.views.ActionLike), and as a change
    starts from (tracker.services.actions.ActionRead)."""

    id: int
    plan_id: int
    area_id: int
    workflow: str
    state: str
    text: str
    tidsplan: str
    due_on: date | None
    evaluate_on: date | None
    progress_note: str
    progress_at: datetime | None
    version: int
    owner_id: int | None
    area_title: str
    plan_title: str
    forvaltning: str


_COLUMNS = [
    _ACTION.c[name]
    for name in (
        "id",
        "plan_id",
        "area_id",
        "workflow",
        "state",
        "text",
        "tidsplan",
        "due_on",
        "evaluate_on",
        "progress_note",
        "progress_at",
        "version",
        "owner_id",
    )
]
_PERSON_COLUMNS = [_PERSON.c[f.name] for f in fields(PersonRow)]
_N_PERSON = len(_PERSON_COLUMNS)


def _actions_of(person: FromClause, on: ColumnElement[bool]) -> Select[Any]:
    # The person's row even when they have no åtgärd (or not that one): an outer join.
    actions = _ACTION.join(_AREA, _AREA.c.id == _ACTION.c.area_id).join(
        _PLAN, _PLAN.c.id == _ACTION.c.plan_id
    )
    return select(
        *_PERSON_COLUMNS,
        *_COLUMNS,
        _AREA.c.title.label("area_title"),
        _PLAN.c.title.label("plan_title"),
        _PLAN.c.forvaltning,
    ).select_from(person.outerjoin(actions, and_(_ACTION.c.owner_id == _PERSON.c.id, on)))


_ORDER = (_PLAN.c.id, _AREA.c.position, _ACTION.c.position)
_OWNED = Prepared(
    _actions_of(_PERSON, true()).where(_PERSON.c.id == bindparam("person_id")).order_by(*_ORDER)
)
_OWNED_ONE = Prepared(
    _actions_of(_PERSON, _ACTION.c.id == bindparam("action_id"))
    .where(_PERSON.c.id == bindparam("person_id"))
    .order_by(*_ORDER)
)


def _owned_many() -> Prepared:
    """On PostgreSQL: many links' reads in one statement, one round trip; the same rows as
    _OWNED and _OWNED_ONE (an action id of null asks for all the person's åtgärder), each
    after the number of the request it answers. The requests come as one JSON parameter
    (binding lists as arrays cost the driver more than the whole statement), and each is a
    LATERAL subquery, so it is looked up by index however large the tables are."""
    wanted = (
        func.jsonb_to_recordset(bindparam("wanted", type_=JSONB()))
        .table_valued(
            column("n", Integer()), column("person_id", Integer()), column("action_id", Integer())
        )
        .render_derived(name="wanted", with_types=True)
    )
    on = or_(wanted.c.action_id.is_(None), _ACTION.c.id == wanted.c.action_id)
    found = (
        _actions_of(_PERSON, on)
        .add_columns(_AREA.c.position.label("area_at"), _ACTION.c.position.label("action_at"))
        .where(_PERSON.c.id == wanted.c.person_id)
        .lateral("found")
    )
    return Prepared(
        select(wanted.c.n, *list(found.c)[:-2])
        .select_from(wanted.join(found, true()))
        .order_by(wanted.c.n, found.c.plan_id, found.c.area_at, found.c.action_at)
    )


_OWNED_MANY = _owned_many()

View = tuple[PersonRow | None, list[OwnedAction]]


def owner_view(conn: Connection, person_id: int, action_id: int | None = None) -> View:
    """The person (None if there is none) and their åtgärder in plan order; only `action_id`
    (if still theirs) when given."""
    if action_id is None:
        rows = _OWNED.all(conn, {"person_id": person_id})
    else:
        rows = _OWNED_ONE.all(conn, {"person_id": person_id, "action_id": action_id})
    return _view(rows)


def owner_views(conn: Connection, wanted: Sequence[tuple[int, int | None]]) -> list[View]:
    """owner_view for each (person id, action id or None), in that order: on PostgreSQL in
    one statement (tracker.web.owner_batch reads a burst of requests at once); on SQLite,
    where a statement is a function call and not a round trip, one each; and a request alone
    with owner_view's own statement, which is cheaper to run than the one for many."""
    if conn.dialect.name != "postgresql" or len(wanted) <= 1:
        return [owner_view(conn, person_id, action_id) for person_id, action_id in wanted]
    requests = [
        {"n": n, "person_id": person_id, "action_id": action_id}
        for n, (person_id, action_id) in enumerate(wanted)
    ]
    by_request: list[list[tuple[Any, ...]]] = [[] for _ in wanted]
    for row in _OWNED_MANY.all(conn, {"wanted": requests}):
        by_request[row[0]].append(row[1:])
    return [_view(found) for found in by_request]


def _view(rows: Sequence[tuple[Any, ...]]) -> View:
    if not rows:
        return None, []
    person = PersonRow(*rows[0][:_N_PERSON])
    # An åtgärd's id is never NULL: a NULL one is the outer join's row for no åtgärd.
    return person, [OwnedAction(*row[_N_PERSON:]) for row in rows if row[_N_PERSON] is not None]
