"""Plans, people and actions for tests, made through the real services."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from tracker.app import App
from tracker.models import Action, Area, Person, Plan, Role
from tracker.services import people, plans

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def at(day: date, hour: int = 7, minute: int = 0) -> datetime:
    """That local (Stockholm) time as an aware UTC instant: when the sweep runs."""
    return datetime.combine(day, time(hour, minute), STOCKHOLM).astimezone(UTC)


def person(
    app: App,
    email: str,
    name: str,
    *,
    now: datetime,
    role: Role = Role.owner,
    forvaltning: str = "",
) -> Person:
    with app.transaction() as s:
        return people.ensure_person(
            s, email, now=now, name=name, role=role, forvaltning=forvaltning
        )


def plan(
    app: App,
    *,
    now: datetime,
    title: str = "Åtgärdsplan för ekonomi i balans",
    forvaltning: str = "Utbildningsförvaltningen",
    chef: Person | None = None,
    next_report_on: date | None = None,
    area: str = "Ekonomiskt stöd",
    namnd: str = "",
    report_months: str = "",
) -> tuple[Plan, Area]:
    with app.transaction() as s:
        p = plans.create_plan(
            s,
            now=now,
            title=title,
            forvaltning=forvaltning,
            chef_id=chef.id if chef else None,
            next_report_on=next_report_on,
            namnd=namnd,
            report_months=report_months,
        )
        return p, plans.ensure_area(s, p, area)


def action(
    app: App,
    area: Area,
    text: str,
    *,
    now: datetime,
    owner: Person | None,
    state: str = "pagar",
    due_on: date | None = None,
    evaluate_on: date | None = None,
    tidsplan: str = "",
    progress_note: str = "",
    workflow: str | None = None,
) -> Action:
    with app.transaction() as s:
        a = plans.add_action(
            s,
            app.registry,
            area,
            now=now,
            text=text,
            state=state,
            owner=owner,
            due_on=due_on,
            evaluate_on=evaluate_on,
            tidsplan=tidsplan,
            progress_note=progress_note,
            progress_at=now if progress_note else None,
            **({"workflow": workflow} if workflow else {}),
        )
        return a


def with_smtp(app: App, port: int, **settings: object) -> App:
    """The same app, sending to a test SMTP server."""
    return App(
        settings=app.settings.model_copy(update={"smtp_port": port, **settings}),
        engine=app.engine,
        registry=app.registry,
    )
