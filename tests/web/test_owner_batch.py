"""Owner requests that arrive together are answered together (tracker.web.owner_batch), and
each still gets exactly what it would get alone: its own receipt, conflict, refusal or
bad-link page, with nothing of the others' outcome leaking into it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, owner_path, text_of
from tests.web.test_owner_pages import action, events_of, snapshot
from tracker.app import App
from tracker.db import WriteLocked
from tracker.services import actions, plans
from tracker.web import owner_batch
from tracker.web.deps import Web
from tracker.web.owner_batch import OwnerBatches
from tracker.web.owner_data import owner_view, owner_views
from tracker.web.routes import owner as owner_routes
from tracker.web.routes.owner import Page, Posted


def _together(web: FastAPI, *requests: tuple[str, str, dict[str, str] | None]) -> list[Any]:
    """The requests sent at the same instant, each on its own, into the app's event loop:
    the responses (or the errors) in the same order."""

    async def send_all() -> list[Any]:
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(
                *(client.request(method, path, data=data) for method, path, data in requests),
                return_exceptions=True,
            )

    return asyncio.run(send_all())


def _counting(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> list[int]:  # the sizes of the batches owner_batch hands to routes/owner.py's `name`
    sizes: list[int] = []
    real: Callable[..., list[Page]] = getattr(owner_batch, name)

    def counted(web: Web, *args: Any, **kwargs: Any) -> list[Page]:
        items: Sequence[Any] = args[0] if name == "show_many" else args[1]
        sizes.append(len(items))
        return real(web, *args, **kwargs)

    monkeypatch.setattr(owner_batch, name, counted)
    return sizes


def test_a_burst_of_owner_requests_is_one_batch_and_each_gets_its_own_answer(
    client: TestClient,
    web: FastAPI,
    app: App,
    world: World,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with app.transaction() as s:
        area = plans.ensure_area(s, plans.get_plan(s, world.plan_id), "Ekonomiskt bistånd")
        a3 = plans.add_action(
            s, app.registry, area, now=clock(), text="Ny rutin", owner=world.anna
        ).id
    assert a3 is not None
    anna = owner_path(app, world.anna, clock())
    bo = owner_path(app, world.bo, clock())
    anna_page = client.get(anna).text
    a1, a2, a3_form = (form_to(anna_page, f"/atgard/{n}") for n in (world.a1, world.a2, a3))
    b1 = form_to(client.get(bo).text, f"/atgard/{world.b1}")
    bad = "/ansvarig/inte-en-riktig-lank"
    updates = _counting(monkeypatch, "update_many")
    shows = _counting(monkeypatch, "show_many")
    before = snapshot(app)

    with caplog.at_level("INFO", logger="tracker"):
        answers = _together(
            web,
            ("POST", a1.action, a1.data(text="Först")),
            ("POST", b1.action, b1.data(trigger="starta", text="Bo startar")),
            ("POST", a1.action, a1.data(text="Sen, från samma formulär")),
            ("POST", f"{bad}/atgard/999999", a2.data(text="Med en trasig länk")),
            ("POST", f"{anna}/atgard/{world.b1}", a1.data(text="Annas försök på Bos")),
            ("POST", a2.action, a2.data(csrf="0" * 64, text="Utan rätt kontroll")),
            ("POST", a3_form.action, a3_form.data(trigger="utvardera", text="För tidigt")),
            ("GET", anna, None),
            ("GET", bad, None),
        )

    statuses = [answer.status_code for answer in answers]
    assert statuses == [200, 200, 409, 403, 404, 403, 422, 200, 403]
    words = [text_of(answer.text) for answer in answers]
    assert words[0].startswith("Sparat") and "Tack, Anna Berg!" in words[0] and "Först" in words[0]
    assert "Tack, Bo Lind!" in words[1] and "Bo startar" in words[1]
    assert "Åtgärden har ändrats sedan du öppnade sidan" in words[2]
    assert form_to(answers[2].text, f"/atgard/{world.a1}").fields["text"] == (
        "Sen, från samma formulär"
    )
    assert "Länken fungerar inte" in words[3] and "Länken fungerar inte" in words[8]
    assert "Den åtgärden finns inte bland dina åtgärder" in words[4]
    assert "Bos" not in words[4] and "Utbilda handläggarna" not in words[4]
    assert "Formuläret kunde inte kontrolleras" in words[5]
    assert "Ny rutin" in words[6] and statuses[6] == 422
    assert "Ta fram rutin för handläggning" in words[7]
    assert "Utbilda handläggarna" not in words[7]  # Bo's åtgärd, on Anna's page

    # One batch of the first form for each åtgärd, then the second form for a1 and Anna's
    # form posted to b1 (both åtgärder already in the first); the two GETs together.
    assert updates == [5, 2]
    assert shows == [2]
    assert action(app, world.a1).progress_note == "Först"
    assert action(app, world.b1).state == "pagar"
    assert [e.text for e in events_of(app, world.a1)][1:] == ["Först"]
    assert [e.text for e in events_of(app, world.b1)][1:] == ["Bo startar"]
    after = snapshot(app)
    assert after[1] == before[1] + 2  # two event rows, no more
    unchanged = {world.a2, a3}
    assert [row for row in after[0] if row[0] in unchanged] == [
        row for row in before[0] if row[0] in unchanged
    ]
    changed = [
        r.__dict__["action_id"] for r in caplog.records if r.getMessage() == "action.changed"
    ]
    assert sorted(changed) == sorted([world.a1, world.b1])


def test_an_error_in_a_batch_reaches_each_of_its_requests_and_changes_nothing(
    client: TestClient,
    web: FastAPI,
    app: App,
    world: World,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a1 = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    b1 = form_to(client.get(owner_path(app, world.bo, clock())).text, f"/atgard/{world.b1}")
    before = snapshot(app)

    def broken(*_args: object) -> None:
        raise RuntimeError("databasen svarar inte")

    monkeypatch.setattr("tracker.services.actions.write_owner_changes", broken)
    answers = _together(
        web,
        ("POST", a1.action, a1.data(text="Anna")),
        ("POST", b1.action, b1.data(text="Bo")),
    )
    assert [type(answer) for answer in answers] == [RuntimeError, RuntimeError]
    assert snapshot(app) == before
    monkeypatch.undo()
    # The next batch goes through.
    done = client.post(a1.action, data=a1.data(text="Anna igen"))
    assert done.status_code == 200
    assert action(app, world.a1).progress_note == "Anna igen"


def test_a_request_whose_client_has_gone_is_left_out_of_its_batch(
    client: TestClient, web: FastAPI, app: App, world: World, clock: MovableClock
) -> None:
    state: Web = web.state.web
    posted = []
    for person, action_id in ((world.anna, world.a1), (world.bo, world.b1)):
        path = owner_path(app, person, clock())
        form = form_to(client.get(path).text, f"/atgard/{action_id}")
        token = path.rsplit("/", 1)[1]
        version = int(form.fields["version"])
        posted.append(Posted(token, action_id, version, form.fields["csrf"], "", "Nu"))

    async def one_gone() -> Page:
        batches = OwnerBatches(state)
        gone = asyncio.create_task(batches.update(posted[0]))
        stays = asyncio.create_task(batches.update(posted[1]))
        await asyncio.sleep(0)  # both have joined the batch, which has not run yet
        gone.cancel()
        return await stays

    assert asyncio.run(one_gone()).template == "owner/receipt.html"
    assert action(app, world.a1).progress_note == ""
    assert action(app, world.b1).progress_note == "Nu"


def test_the_read_for_many_links_is_the_read_for_each(
    app: App, world: World, clock: MovableClock
) -> None:
    """On PostgreSQL it is another statement (one for all); it must give the same rows."""
    with app.transaction() as s:
        other = plans.ensure_area(s, plans.get_plan(s, world.plan_id), "Intern kontroll")
        plans.add_action(
            s, app.registry, other, now=clock(), text="Sist", owner=world.anna, due_on=date.today()
        )
    anna, bo = world.anna.id, world.bo.id
    assert anna is not None and bo is not None
    wanted: list[tuple[int, int | None]] = [
        (anna, None),
        (anna, world.a1),
        (anna, world.b1),  # not hers: the person, no åtgärd
        (999_999, None),  # nobody
        (bo, None),
        (anna, None),
    ]
    with app.engine.connect() as conn:
        many = owner_views(conn, wanted)
        each = [owner_view(conn, person, action_id) for person, action_id in wanted]
    assert many == each
    assert [len(found) for _, found in many] == [3, 1, 0, 0, 1, 3]
    assert many[3] == (None, [])
    with app.engine.connect() as conn:
        assert owner_views(conn, []) == []


def test_when_the_write_lock_is_taken_only_the_rounds_not_yet_written_are_tried_again(
    client: TestClient,
    web: FastAPI,
    app: App,
    world: World,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two forms for one åtgärd are two rounds; if the second round finds SQLite's write lock
    taken, it alone waits and is tried again: the first, written, is not written twice."""
    state: Web = web.state.web
    path = owner_path(app, world.anna, clock())
    form = form_to(client.get(path).text, f"/atgard/{world.a1}")
    token, version = path.rsplit("/", 1)[1], int(form.fields["version"])
    first = Posted(token, world.a1, version, form.fields["csrf"], "", "Först")
    second = Posted(token, world.a1, version, form.fields["csrf"], "", "Sen")
    real = owner_batch.update_many
    calls: list[list[str]] = []

    def locked_once(web: Web, now: Any, posts: Sequence[Posted], **kw: Any) -> list[Page]:
        calls.append([p.text for p in posts])
        if len(calls) == 2:
            raise WriteLocked()
        return real(web, now, posts, **kw)

    monkeypatch.setattr(owner_batch, "update_many", locked_once)

    async def both() -> list[Page]:
        batches = OwnerBatches(state)
        return list(await asyncio.gather(batches.update(first), batches.update(second)))

    pages = asyncio.run(both())
    assert calls == [["Först"], ["Sen"], ["Sen"]]
    assert [page.status_code for page in pages] == [200, 409]
    assert [e.text for e in events_of(app, world.a1)][1:] == ["Först"]


def test_a_request_that_fails_its_batch_fails_alone(
    client: TestClient,
    web: FastAPI,
    app: App,
    world: World,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a batch fails, its requests are tried one by one: only the one that fails again
    gets the error, and every other one is written once."""
    a1 = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    b1 = form_to(client.get(owner_path(app, world.bo, clock())).text, f"/atgard/{world.b1}")
    real = actions.decide_note

    def poisoned(current: Any, actor: Any, text: str, **kw: Any) -> actions.Pending:
        if text == "Gift":
            raise RuntimeError("ett fel som bara det här formuläret utlöser")
        return real(current, actor, text, **kw)

    monkeypatch.setattr(actions, "decide_note", poisoned)
    answers = _together(
        web,
        ("POST", a1.action, a1.data(text="Gift")),
        ("POST", b1.action, b1.data(text="Bo skriver")),
    )
    assert isinstance(answers[0], RuntimeError)
    assert answers[1].status_code == 200
    assert action(app, world.a1).progress_note == ""
    assert [e.text for e in events_of(app, world.b1)][1:] == ["Bo skriver"]


def test_a_fault_after_the_write_fails_only_its_own_request(
    client: TestClient,
    web: FastAPI,
    app: App,
    world: World,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Once a batch is written, a request whose page then fails gets its error alone: the
    others get their receipts (never a false "nothing was saved"), and every change saved is
    logged, on both databases. Here Anna's receipt fails, and Bo's conflict page, for an
    åtgärd someone else changed between the batch's read and its write."""
    a1 = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    b1 = form_to(client.get(owner_path(app, world.bo, clock())).text, f"/atgard/{world.b1}")
    a2 = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a2}")
    real_write, real_receipt = actions.write_owner_changes, owner_routes._receipt

    def meanwhile(conn: Any, pendings: Sequence[actions.Pending]) -> list[Any]:
        with app.transaction() as s:
            actions.note_progress(s, world.b1, world.chef, "Chefen hann före", now=clock())
        return real_write(conn, pendings)

    def receipt(web: Web, now: Any, done: Any) -> Page:
        if done.action.id == world.a1:
            raise RuntimeError("Annas kvitto gick sönder")
        return real_receipt(web, now, done)

    def drafts(*_args: object) -> dict[str, str]:
        raise RuntimeError("Bos sida gick sönder")

    monkeypatch.setattr(actions, "write_owner_changes", meanwhile)
    monkeypatch.setattr(owner_routes, "_receipt", receipt)
    monkeypatch.setattr(owner_routes, "_drafts", drafts)
    with caplog.at_level("INFO", logger="tracker"):
        caplog.clear()
        answers = _together(
            web,
            ("POST", a1.action, a1.data(text="Anna")),
            ("POST", b1.action, b1.data(text="Bo")),
            ("POST", a2.action, a2.data(text="Annas andra")),
        )
    assert [str(a) if isinstance(a, Exception) else a.status_code for a in answers] == [
        "Annas kvitto gick sönder",
        "Bos sida gick sönder",
        200,
    ]
    assert [e.text for e in events_of(app, world.a1)][1:] == ["Anna"]
    assert [e.text for e in events_of(app, world.a2)][1:] == ["Annas andra"]
    assert [e.text for e in events_of(app, world.b1)][1:] == ["Chefen hann före"]
    changed = [
        r.__dict__["action_id"] for r in caplog.records if r.getMessage() == "action.changed"
    ]
    assert sorted(changed) == sorted([world.b1, world.a1, world.a2])  # the chef's, then ours


def test_a_clock_that_fails_fails_the_requests_instead_of_leaving_them_waiting(
    web: FastAPI, app: App, world: World, clock: MovableClock
) -> None:
    path = owner_path(app, world.anna, clock())
    clock.now = clock.now.replace(tzinfo=None)  # the web clock must be aware: now_of raises

    async def get() -> Any:
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await asyncio.wait_for(c.get(path), 5)

    with pytest.raises(ValueError, match="timezone-aware"):
        asyncio.run(get())


def test_a_connection_lost_during_the_write_is_not_tried_again_one_by_one(
    client: TestClient,
    web: FastAPI,
    app: App,
    world: World,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whether a write whose connection was lost was saved cannot be known, so each request
    gets the error (as alone), rather than being written again one by one."""
    a1 = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    b1 = form_to(client.get(owner_path(app, world.bo, clock())).text, f"/atgard/{world.b1}")
    calls: list[int] = []

    def lost(_conn: object, pendings: Sequence[actions.Pending]) -> None:
        calls.append(len(pendings))
        gone = Exception("server closed the connection")
        raise DBAPIError("UPDATE …", None, gone, connection_invalidated=True)

    monkeypatch.setattr(actions, "write_owner_changes", lost)
    answers = _together(
        web,
        ("POST", a1.action, a1.data(text="Anna")),
        ("POST", b1.action, b1.data(text="Bo")),
    )
    assert [type(answer) for answer in answers] == [DBAPIError, DBAPIError]
    assert calls == [2]
