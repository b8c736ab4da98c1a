"""The owner pages' requests that arrive together, answered together.

A reminder mailing makes many owners open their link at once, and the target for that (issue
#3, bench/web.py) is 200 owners posting an update and reloading their page at the same
instant with p95 under 100 ms on 2 cores. A web process then holds many parsed requests at
the same moment. Each one's reads and write cost the same few statements; on PostgreSQL every
statement is a round trip, and its cost (in the driver, in the server and in the kernel) was
more than half of a request's. Here the requests that are ready in one turn of the event loop
go to the database together: on PostgreSQL one statement reads for all the GETs, one for all
the POSTs, and one writes all their changes (routes/owner.py: show_many, update_many).

A request alone waits only for the callbacks already due in its turn of the loop; its batch,
of one, then uses the statements for one link and one change. The batches run in the event
loop itself: their database work takes a fraction of a millisecond per request, less than
handing it to a thread costs (measured before batching: ~0.1 ms more CPU per request, and a
burst of 200 owners took longer).

What each request gets is what it would get alone: its own checks, its own conflict when its
åtgärd changed since its form was made, its own receipt. Two forms for the same åtgärd are
never in one write; the second is decided on what the first wrote (so it gets a conflict, as
it would one after the other).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from tracker.db import SQLITE_BUSY_TIMEOUT_S, WriteLocked
from tracker.web.deps import Web, now_of
from tracker.web.routes.owner import Page, Posted, show_many, update_many

BUSY = Page(
    "error.html",
    {
        "title": "Det är fullt just nu",
        "message": "Din ändring kunde inte sparas eftersom systemet är upptaget. "
        "Ingenting ändrades. Försök igen om en stund.",
    },
    status_code=503,
)

# A batch waits this long for SQLite's write lock while blocking its event loop (another
# process's batch holds it for a millisecond or so), then pauses without blocking and tries
# again, for as long as SQLite's own busy timeout.
LOCK_PATIENCE_S = 0.002
RETRY_PAUSE_S = 0.005

Item = TypeVar("Item")
Waiting = list[tuple[Item, "asyncio.Future[Page]"]]


class OwnerBatches:
    """Collects one event loop's owner requests and answers each batch in one go."""

    def __init__(self, web: Web, *, give_up_after_s: float = SQLITE_BUSY_TIMEOUT_S) -> None:
        self.web = web
        self.give_up_after_s = give_up_after_s
        self._shows: Waiting[str] = []
        self._updates: Waiting[Posted] = []
        self._flush_due = False

    async def show(self, token: str) -> Page:
        """GET /ansvarig/{token}."""
        return await self._join(self._shows, token)

    async def update(self, posted: Posted) -> Page:
        """POST /ansvarig/{token}/atgard/{id}."""
        return await self._join(self._updates, posted)

    def _join(self, batch: Waiting[Item], item: Item) -> asyncio.Future[Page]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Page] = loop.create_future()
        batch.append((item, future))
        if not self._flush_due:
            # After the callbacks already due in this turn of the loop: the other requests
            # that are ready now join the batch first.
            self._flush_due = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._flush_due = False
        shows, self._shows = _waiting(self._shows), []
        updates, self._updates = _waiting(self._updates), []
        try:
            now = now_of(self.web)
        except Exception as exc:  # a callback's error would reach no request: they would hang
            _fail([*shows, *updates], exc)
            return
        if shows:
            show = functools.partial(show_many, self.web, now=now)
            try:
                _answer(shows, show([token for token, _ in shows]))
            except Exception as exc:
                _one_by_one(shows, show, exc)
        if updates:
            give_up = asyncio.get_running_loop().time() + self.give_up_after_s
            self._write(updates, now, give_up)

    def _write(self, updates: Waiting[Posted], now: datetime, give_up: float) -> None:
        """The updates in rounds of one form per åtgärd. When SQLite's write lock is taken, the
        rounds not yet written are tried again after a pause, without blocking the loop."""
        loop = asyncio.get_running_loop()
        write = functools.partial(update_many, self.web, now, lock_patience_s=LOCK_PATIENCE_S)
        while updates:
            batch, updates = _one_per_action(_waiting(updates))
            try:
                pages = write([posted for posted, _ in batch])
            except WriteLocked:
                rest = batch + updates
                if loop.time() >= give_up:
                    _answer(rest, [BUSY] * len(rest))
                else:
                    loop.call_later(RETRY_PAUSE_S, self._write, rest, now, give_up)
                return
            except Exception as exc:
                if isinstance(exc, DBAPIError) and exc.connection_invalidated:
                    # Lost while the write ran: whether it was saved cannot be known here, so
                    # each request gets the error, as it would alone.
                    _fail(batch, exc)
                else:
                    _one_by_one(batch, write, exc)
                continue
            _answer(batch, pages)


def _waiting(batch: Waiting[Item]) -> Waiting[Item]:
    """Without the requests whose client has gone meanwhile (their task was cancelled)."""
    return [(item, future) for item, future in batch if not future.done()]


def _one_per_action(updates: Waiting[Posted]) -> tuple[Waiting[Posted], Waiting[Posted]]:
    """The first form for each åtgärd, and the rest (in their order) for a later round."""
    first: Waiting[Posted] = []
    later: Waiting[Posted] = []
    seen: set[int] = set()
    for posted, future in updates:
        (later if posted.action_id in seen else first).append((posted, future))
        seen.add(posted.action_id)
    return first, later


def _one_by_one(
    batch: Waiting[Item],
    pages: Callable[[list[Item]], Sequence[Page | Exception]],
    error: Exception,
) -> None:
    """After a batch failed, having written nothing: each of its requests alone, so that one
    the database refuses (or that trips a fault) fails alone, not every request it came with.
    A batch of one has had its try."""
    if len(batch) == 1:
        _fail(batch, error)
        return
    for item, future in batch:
        if future.done():
            continue  # its client has gone
        try:
            page = pages([item])[0]
        except WriteLocked:
            page = BUSY  # rare: a failed batch, then the lock taken meanwhile
        except Exception as exc:
            _fail([(item, future)], exc)
            continue
        _answer([(item, future)], [page])


def _answer(batch: Waiting[Item], pages: Sequence[Page | Exception]) -> None:
    """Each request its page, or its own error (one whose page failed after its change)."""
    for (_, future), page in zip(batch, pages, strict=True):
        if future.done():  # else setting it would raise, and leave the rest unanswered
            continue
        if isinstance(page, Exception):
            future.set_exception(page)
        else:
            future.set_result(page)


def _fail(batch: Waiting[Item], exc: Exception) -> None:
    """An error goes to every request of the batch, as it would to each alone."""
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
