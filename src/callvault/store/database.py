"""MetadataStore: the engine, its transactions and the repositories. The only place that opens SQL."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, create_engine, event
from sqlalchemy.engine import Dialect, Engine, make_url

from callvault.store import migrate
from callvault.store.async_reads import AsyncPointReads

# As many pooled connections as the server has request threads (anyio's default limiter is 40), so
# that a busy server does not open and close an overflow connection per request.
POOL_SIZE = 40


def _sqlite_engine(url: str, pool_size: int) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_use_lifo=True,  # see create_db_engine
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        _configure_sqlite(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode is not None:
            conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _configure_sqlite(dbapi_connection: sqlite3.Connection) -> None:
    """Every SQLite connection callvault opens: WAL, autocommit at the driver (callvault issues BEGIN
    itself, see _on_begin), a 30 s busy timeout, foreign keys."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_db_engine(url: str, pool_size: int = POOL_SIZE) -> Engine:
    """An engine holding up to `pool_size` idle connections, and as many again while busy. The pool
    hands out the connection used last (LIFO): its caches are warm (SQLite's pages, PostgreSQL's
    prepared statements), where taking them in turns left every one cold after a busy spell (a list
    of 1,000 recordings took 41 ms, not 23, after 30 s of GETs)."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, pool_size)
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_use_lifo=True
    )


class DriverSelect:
    """A SELECT compiled once per dialect, for `MetadataStore.first_row`: its SQL, how its parameters are
    passed (qmark or named), and, from the first result's column type codes, the column types' own result
    processors, so its rows hold what `Connection.execute` would return. Parameters go through their
    types' bind processors (a time, as the column stores it)."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[
            str, tuple[str, Sequence[str] | None, dict[str, Callable[[Any], Any]], dict[str, Any]]
        ] = {}
        self._processors: dict[str, list[tuple[int, Callable[[Any], Any]]]] = {}

    def sql(
        self, dialect: Dialect, params: Mapping[str, Any]
    ) -> tuple[str, Sequence[Any] | Mapping[str, Any]]:
        if dialect.name not in self._compiled:
            compiled = self.statement.compile(dialect=dialect)
            binding: dict[str, Callable[[Any], Any]] = {
                name: processor
                for name, bind in compiled.binds.items()
                if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
            }
            fixed = {name: value for name, value in compiled.params.items() if value is not None}
            self._compiled[dialect.name] = (
                str(compiled),
                compiled.positiontup if compiled.positional else None,
                binding,
                fixed,  # what the compiler added with its value (SQLite's OFFSET 0 after a bound LIMIT)
            )
        sql, positions, binding, fixed = self._compiled[dialect.name]
        if fixed:
            params = fixed | dict(params)
        if binding:
            params = {
                name: binding[name](value) if name in binding else value for name, value in params.items()
            }
        return sql, ([params[name] for name in positions] if positions is not None else params)

    def knows_columns(self, dialect: Dialect) -> bool:
        """Whether `convert` has what it needs without a cursor's description (building one costs)."""
        return dialect.name in self._processors

    def convert(self, dialect: Dialect, description: Sequence[Any], row: Sequence[Any]) -> tuple[Any, ...]:
        processors = self._processors.get(dialect.name)
        if processors is None:
            found = [
                column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                for column, described in zip(self.statement.selected_columns, description, strict=True)
            ]
            processors = [(index, convert) for index, convert in enumerate(found) if convert is not None]
            self._processors[dialect.name] = processors
        if not processors:
            return tuple(row)
        values = list(row)
        for index, convert in processors:  # a few columns (times, JSON) of thirty
            values[index] = convert(values[index])
        return tuple(values)


class MetadataStore:
    """Owns the engine. `read()` and `write()` each yield one connection inside one transaction;
    `read_statement()` one connection for a single SELECT."""

    def __init__(self, url: str, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.engine = create_db_engine(url, pool_size)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        database = make_url(url).database if self.is_sqlite else None
        self._sqlite_file = database if database and database != ":memory:" else None
        self._thread_connections = threading.local()
        self._kept_connections: list[sqlite3.Connection] = []
        self._kept_lock = threading.Lock()
        self._async_reads = None if self.is_sqlite else AsyncPointReads(url)

    def upgrade_schema(self) -> None:
        migrate.upgrade(self.engine)

    def check_schema(self) -> None:
        migrate.check_not_newer(self.engine)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: commits on success, rolls back on error."""
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def read_statement(self) -> Iterator[Connection]:
        """A connection for one SELECT, without BEGIN/COMMIT around it: a statement is its own snapshot."""
        with self.engine.connect() as conn:
            yield conn.execution_options(sqlite_begin=None) if self.is_sqlite else conn

    def first_row(
        self, select: DriverSelect, params: Mapping[str, Any], *, convert: bool = True
    ) -> tuple[Any, ...] | None:
        """The first row of `select`, run on the driver's own cursor, without SQLAlchemy's execution
        layer (which costs more than a point read of SQLite): for the API's hottest read. Like
        `read_statement`, no transaction around it. `convert` False: as the driver gives it (see
        `driver_rows`)."""
        rows = self._driver_rows(select, params, _first_of, convert=convert)
        return rows[0] if rows else None

    def all_rows(self, select: DriverSelect, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of `select`, like `first_row` (the API's lists: no SQLAlchemy result per row)."""
        return self._driver_rows(select, params, _all_of)

    def driver_rows(self, select: DriverSelect, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of `select` as the driver gives it, without the columns' result processing (a time
        stays the text SQLite stores; JSON stays text where the driver leaves it so): for a list whose
        reader takes either form, and a row costs no more than the driver's own work."""
        return self._driver_rows(select, params, _all_of, convert=False)

    def as_read(self, column: ColumnElement[Any], value: Any) -> Any:
        """A value of `column` as the driver gave it (`driver_rows`), as `Connection.execute` returns it."""
        dialect = self.engine.dialect
        convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
        return convert(value) if convert is not None else value

    def _driver_rows(
        self,
        select: DriverSelect,
        params: Mapping[str, Any],
        fetch: Callable[[Any], Sequence[Any]],
        *,
        convert: bool = True,
    ) -> list[tuple[Any, ...]]:
        dialect = self.engine.dialect
        sql, parameters = select.sql(dialect, params)
        with self._driver_connection() as connection:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, parameters)
                rows = fetch(cursor)
                description = cursor.description
            finally:
                cursor.close()
        if not convert:
            return list(rows)
        return [select.convert(dialect, description, row) for row in rows]

    async def first_row_async(
        self, select: DriverSelect, params: Mapping[str, Any], *, convert: bool = True
    ) -> tuple[Any, ...] | None:
        """`first_row` for an async route, on the event loop: on SQLite the same call (a point read of a
        local file takes microseconds and, in WAL mode, never waits for a writer); on PostgreSQL over
        `store.async_reads` (no thread hop), or in a thread from a loop that is not the server's."""
        if self._async_reads is None:
            return self.first_row(select, params, convert=convert)
        dialect = self.engine.dialect
        sql, parameters = select.sql(dialect, params)
        found = await self._async_reads.first_row(sql, parameters, describe=not select.knows_columns(dialect))
        if found is None:
            return await asyncio.to_thread(functools.partial(self.first_row, select, params, convert=convert))
        row, description = found
        if row is None or not convert:
            return row
        return select.convert(dialect, description, row)

    async def close_async(self) -> None:
        """Close what the event loop holds (PostgreSQL's asynchronous connections)."""
        if self._async_reads is not None:
            await self._async_reads.close()

    @contextmanager
    def _driver_connection(self) -> Iterator[Any]:
        """A SQLite file: this thread's own connection, kept open (a pool checkout costs more than the
        read; each statement is its own snapshot, so nothing is held between reads). Otherwise one from
        the pool."""
        if self._sqlite_file is None:
            pooled = self.engine.raw_connection()
            try:
                yield pooled
            finally:
                pooled.close()
            return
        kept: sqlite3.Connection | None = getattr(self._thread_connections, "connection", None)
        if kept is None:
            kept = sqlite3.connect(self._sqlite_file, check_same_thread=False, timeout=30)
            _configure_sqlite(kept)
            self._thread_connections.connection = kept
            with self._kept_lock:
                self._kept_connections.append(kept)
        yield kept

    def dispose(self) -> None:
        with self._kept_lock:
            kept, self._kept_connections = self._kept_connections, []
            self._thread_connections = threading.local()
        for connection in kept:
            connection.close()
        self.engine.dispose()


def _first_of(cursor: Any) -> Sequence[Any]:
    row = cursor.fetchone()
    return [] if row is None else [row]


def _all_of(cursor: Any) -> Sequence[Any]:
    return list(cursor.fetchall())
