"""Engine and session creation, and statements run without per-execute overhead; the one place
that knows the database URL."""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Engine, create_engine, event
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.selectable import Select
from sqlmodel import Session

import tracker.models  # noqa: F401  (registers every table on SQLModel.metadata)
from tracker.logs import drop_deferred, emit_deferred

# How long a SQLite write waits for another connection's write lock before failing.
SQLITE_BUSY_TIMEOUT_S = 30
_SQLITE_BUSY = 5  # the primary result code; extended codes carry it in their low byte


class WriteLocked(Exception):
    """Another connection held SQLite's write lock for longer than the transaction would wait
    (single_write(..., lock_patience_s=...)). Nothing was done."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """The engine for `url`, with a sibling pool of its own for the owner pages' hot path
    (reads() and single_write()), whose connections are set up for it once instead of being
    switched and switched back at every use (~20-25 µs of Python each time). `kwargs` are
    for the main engine only."""
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        if not _sqlite_file(url):
            return engine  # in memory, the database is one connection's own: no hot pool
        # No busy timeout: single_write polls SQLite's write lock itself.
        hot = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 0}, **_HOT_POOL
        )
        event.listen(hot, "connect", _sqlite_pragmas)
    else:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        engine = create_engine(url, **kwargs)
        # In autocommit (reads() and single_write() say why), so there is nothing to roll
        # back when a connection is handed back.
        hot = create_engine(
            url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None, **_HOT_POOL
        )
        event.listen(hot, "connect", _generic_plans)
        for pooled in (engine, hot):
            event.listen(pooled, "checkin", _note_idle)
            event.listen(pooled, "checkout", _pinger(pooled.dialect))
    _HOT[engine] = hot
    event.listen(engine, "engine_disposed", lambda _conn: hot.dispose())
    return engine


# The hot path runs in each web process's event loop, one batch of requests at a time.
_HOT_POOL: dict[str, Any] = {"pool_size": 2, "max_overflow": 8}
_HOT: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _generic_plans(dbapi_conn: Any, _record: Any) -> None:
    """The driver prepares a statement run often, but PostgreSQL plans it again at every run
    while it estimates a custom plan cheaper, which it does for the owner batches' statements
    (tracker.web.owner_batch): ~0.2 ms each time, more than running them. The hot path's
    statements all find their rows by index either way. (Set here, not as a connection
    option, so that options given in the database URL still hold.)"""
    with dbapi_conn.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
    dbapi_conn.commit()


def _hot_connection(engine: Engine) -> Connection:
    hot = _HOT.get(engine)
    if hot is not None:
        return hot.connect()
    if engine.dialect.name == "sqlite" and not _sqlite_file(str(engine.url)):
        return engine.connect()
    raise ValueError("the hot path needs an engine made by tracker.db.make_engine")


# A pooled server connection that has been idle this long is pinged before it is used, so one
# closed meanwhile (a database restart, an idle timeout) is replaced instead of failing the
# request. SQLAlchemy's pool_pre_ping pings at every checkout: a round trip per request, and
# under load connections come back within milliseconds of their last use.
IDLE_PING_AFTER_S = 1.0
_IDLE_SINCE = "tracker_idle_since"


def _note_idle(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _pinger(dialect: Dialect) -> Callable[[Any, ConnectionPoolEntry, Any], None]:
    def ping_if_idle(dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_AFTER_S:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            # The pool closes this connection and checks out (or opens) another.
            raise DisconnectionError() from exc

    return ping_if_idle


def _sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL; None for an in-memory database."""
    path = url.split(":///", 1)[-1] if ":///" in url else ""
    return path if path and path != ":memory:" else None


def _ensure_sqlite_dir(url: str) -> None:
    path = _sqlite_file(url)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the web app read while the scheduler writes; foreign keys are off by default.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # 64 MB page cache: plans of 100,000 actions stay in memory.
    cur.execute("PRAGMA cache_size=-65536")
    # Checkpoint every ~40 MB of WAL rather than 4 MB: a checkpoint syncs and copies each
    # changed page once, and the same action and index pages change again and again, so
    # this halves the cost of a commit (measured: 136 -> 78 us). The WAL is cut back to
    # 64 MB after a checkpoint. In the web process a thread checkpoints every second
    # (tracker.checkpoint), so this one, run by the commit that crosses it, is the backstop.
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.close()


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            drop_deferred(session.info)
            raise
        emit_deferred(session.info)


@contextmanager
def single_write(engine: Engine, *, lock_patience_s: float | None = None) -> Iterator[Connection]:
    """A unit of work that reads and then makes one write, on a plain Connection: the owners'
    updates, the hot path (tracker.web.owner_batch writes a batch of them at once, each only
    if its own version still holds). Without an ORM Session it costs ~80 µs less. On success
    what was logged with tracker.logs.log_after_commit(conn.info, ...) is logged; an error
    before the write leaves nothing written. A change is written only if the version read is
    still the current one (tracker.services.actions), so the reads before it need not hold a
    lock or a transaction: they see what is committed, as in a READ COMMITTED transaction.
    (So a link revoked between an update's check of it and its write, at most the few
    milliseconds of one batch, does not stop that update; every later one is refused.)

    On PostgreSQL the write is one statement, atomic on its own, so the connection is in
    autocommit: BEGIN and COMMIT would be two more round trips (measured: p95 of a burst of
    200 owners 130 -> 110 ms). The statement is committed as it runs, so the caller does
    nothing after it inside the unit that could fail (build a page after the unit). A second
    write (a Prepared INSERT, UPDATE or DELETE) raises before it runs, as it would not be
    atomic with the first.

    On SQLite a change is two statements, in a transaction that takes the file's write lock
    at the first write, so the lock is held for the writes and the commit only, not the reads.
    lock_patience_s: how long to wait for another connection's lock (default: as long as
    SQLITE_BUSY_TIMEOUT_S), else WriteLocked (nothing written). For a caller in an event
    loop, which must not block long and can try again later without blocking. The lock is
    polled every 20-500 µs: SQLite's own busy handler sleeps 1, 2, 5, ... ms however soon the
    lock is free, and the writes it waits for take well under a millisecond.
    """
    with _hot_connection(engine) as conn:
        # The pooled connection's own dict, which outlives this use: start it clean. Kept
        # here, as conn.info would reconnect a connection the database has dropped meanwhile.
        info = conn.info
        drop_deferred(info)
        patience = SQLITE_BUSY_TIMEOUT_S if lock_patience_s is None else lock_patience_s
        info[_UNIT] = _Unit(engine.dialect.name == "sqlite", patience)
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            drop_deferred(info)
            raise
        finally:
            info.pop(_UNIT, None)
        emit_deferred(info)


_UNIT = "tracker_single_write"


@dataclass
class _Unit:
    """single_write's state, which Prepared consults before each write."""

    sqlite: bool
    lock_patience_s: float
    written: bool = False

    def before_write(self, dbapi_conn: Any, sql: str) -> None:
        if self.sqlite:
            if not dbapi_conn.in_transaction:
                _take_write_lock(dbapi_conn, self.lock_patience_s)
        elif self.written:
            raise RuntimeError(f"a second write in single_write(): {sql}")
        self.written = True


def _take_write_lock(dbapi_conn: Any, patience_s: float) -> None:
    give_up = time.monotonic() + patience_s
    pause = 20e-6
    while True:
        try:
            dbapi_conn.execute("BEGIN IMMEDIATE")
            return
        except dbapi_conn.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != _SQLITE_BUSY:
                raise
            if time.monotonic() >= give_up:
                raise WriteLocked() from exc
        time.sleep(pause)
        pause = min(pause * 2, 0.0005)


@contextmanager
def reads(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only, each statement seeing what is committed when it runs (as in
    a READ COMMITTED transaction). PostgreSQL's driver would open a transaction for it, one
    round trip to begin and one to end, so there it is in autocommit; SQLite's opens none for
    a SELECT anyway (and switching modes there costs a statement of its own)."""
    with engine.connect() if engine.dialect.name == "sqlite" else _hot_connection(engine) as conn:
        yield conn


Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # (name, bind processor) in the order the driver takes them; `positional`: as a tuple
    # (SQLite's qmark), else as a dict by name (psycopg's pyformat).
    binds: tuple[tuple[str, Processor | None], ...]
    positional: bool
    results: tuple[Processor | None, ...] | None  # None: no column needs converting
    lastrowid: bool  # the inserted key is the cursor's lastrowid, not a RETURNING row


class Prepared:
    """A Core statement that a hot path runs straight on the driver's cursor, in the
    transaction the given connection is in.

    Connection.execute() spends 25-60 µs of Python on each statement (cache key, parameter
    processing, cursor and result set-up), several times what SQLite needs to run a
    one-row UPDATE; three of them were a third of a workflow transition. Here the SQL is
    still SQLAlchemy's, compiled once per dialect and set of columns, values are converted
    by the column types' own bind processors, and driver errors come out as SQLAlchemy's
    (a lost connection invalidates it, as execute() would). Not kept: echo logging and
    engine cursor events for these statements.
    """

    def __init__(self, statement: Select[Any] | Update | Insert, *, key: Column[Any] | None = None):
        self._statement = statement
        self._key = key  # an INSERT's primary key, handed back by inserted_key()
        self._writes = not isinstance(statement, Select)
        self._compiled: weakref.WeakKeyDictionary[Dialect, dict[tuple[str, ...], _Compiled]] = (
            weakref.WeakKeyDictionary()
        )

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row, or None."""
        return self._run(conn, params, _first)

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row."""
        return self._run(conn, params, _all)

    def rowcount(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """How many rows an UPDATE or DELETE matched."""
        return self._run(conn, params, _rowcount)

    def inserted_key(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """The primary key of the one row an INSERT made."""
        return self._run(conn, params, _inserted_key)

    def _run(
        self, conn: Connection, params: Mapping[str, Any], fetch: Callable[[Any, _Compiled], Any]
    ) -> Any:
        dialect = conn.dialect
        by_keys = self._compiled.get(dialect)
        if by_keys is None:
            by_keys = self._compiled[dialect] = {}
        keys = tuple(params)
        compiled = by_keys.get(keys)
        if compiled is None:
            compiled = by_keys[keys] = self._compile(dialect, keys)
        if compiled.positional:
            args: Sequence[Any] | dict[str, Any] = [
                params[name] if proc is None else proc(params[name])
                for name, proc in compiled.binds
            ]
        else:
            args = {
                name: params[name] if proc is None else proc(params[name])
                for name, proc in compiled.binds
            }
        if not conn.in_transaction():
            conn.begin()  # as execute() would: the caller commits (or rolls back) it
        dbapi_conn = conn.connection.dbapi_connection
        assert dbapi_conn is not None
        if self._writes:
            unit = conn.info.get(_UNIT)
            if unit is not None:
                unit.before_write(dbapi_conn, compiled.sql)
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(compiled.sql, args)
            return fetch(cursor, compiled)
        except dialect.loaded_dbapi.Error as exc:
            lost = dialect.is_disconnect(exc, dbapi_conn, cursor)
            if lost:
                conn.invalidate(exc)
                # As execute() does: the server went away for the pool's other connections
                # too (a restart), so they are replaced rather than each failing a request.
                conn.engine.dispose(close=False)
            raise DBAPIError.instance(
                compiled.sql,
                args,
                exc,
                dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=dialect,
            ) from exc
        finally:
            cursor.close()

    def _compile(self, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        statement: Select[Any] | Update | Insert = self._statement
        lastrowid = False
        if self._key is not None:
            assert isinstance(statement, Insert)
            lastrowid = isinstance(dialect, DefaultDialect) and dialect.postfetch_lastrowid
            if not lastrowid:
                statement = statement.returning(self._key)
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        if compiled.escaped_bind_names or any(
            b.expanding or b.literal_execute for b in compiled.binds.values()
        ):
            raise ValueError(f"not a statement for Prepared: {compiled.string}")
        names = compiled.positiontup if compiled.positional else list(compiled.binds)
        assert names is not None
        missing = set(names) - set(keys)
        if missing:
            raise ValueError(f"no value for {sorted(missing)} in {compiled.string}")
        binds = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        )
        results = None
        if isinstance(statement, Select):
            processors = tuple(
                c.type.dialect_impl(dialect).result_processor(dialect, None)
                for c in statement.selected_columns
            )
            results = processors if any(processors) else None
        return _Compiled(compiled.string, binds, compiled.positional, results, lastrowid)


def _first(cursor: Any, compiled: _Compiled) -> tuple[Any, ...] | None:
    row = cursor.fetchone()
    if row is None or compiled.results is None:
        return row
    return tuple(v if p is None else p(v) for p, v in zip(compiled.results, row, strict=True))


def _all(cursor: Any, compiled: _Compiled) -> list[tuple[Any, ...]]:
    rows = cursor.fetchall()
    if compiled.results is None:
        return list(rows)
    return [
        tuple(v if p is None else p(v) for p, v in zip(compiled.results, row, strict=True))
        for row in rows
    ]


def _rowcount(cursor: Any, _compiled: _Compiled) -> int:
    return int(cursor.rowcount)


def _inserted_key(cursor: Any, compiled: _Compiled) -> int:
    if compiled.lastrowid:
        return int(cursor.lastrowid)
    return int(cursor.fetchone()[0])
