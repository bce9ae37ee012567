"""MetadataStore: the engine, its transactions and the repositories. The only place that opens SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, create_engine, event
from sqlalchemy.engine import Dialect, Engine, make_url

from callvault.store import migrate

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
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode is not None:
            conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def create_db_engine(url: str, pool_size: int = POOL_SIZE) -> Engine:
    """An engine holding up to `pool_size` idle connections, and as many again while busy."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, pool_size)
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


class DriverSelect:
    """A SELECT compiled once per dialect, for `MetadataStore.first_row`: its SQL, how its parameters are
    passed (qmark or named), and, from the first result's column type codes, the column types' own result
    processors, so its rows hold what `Connection.execute` would return. Its parameters must be ones the
    driver takes as they are (strings, numbers)."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, Sequence[str] | None]] = {}
        self._processors: dict[str, list[Callable[[Any], Any] | None]] = {}

    def sql(
        self, dialect: Dialect, params: Mapping[str, Any]
    ) -> tuple[str, Sequence[Any] | Mapping[str, Any]]:
        if dialect.name not in self._compiled:
            compiled = self.statement.compile(dialect=dialect)
            self._compiled[dialect.name] = (
                str(compiled),
                compiled.positiontup if compiled.positional else None,
            )
        sql, positions = self._compiled[dialect.name]
        return sql, ([params[name] for name in positions] if positions is not None else params)

    def convert(self, dialect: Dialect, description: Sequence[Any], row: Sequence[Any]) -> tuple[Any, ...]:
        processors = self._processors.get(dialect.name)
        if processors is None:
            processors = [
                column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                for column, described in zip(self.statement.selected_columns, description, strict=True)
            ]
            self._processors[dialect.name] = processors
        return tuple(
            value if convert is None else convert(value)
            for convert, value in zip(processors, row, strict=True)
        )


class MetadataStore:
    """Owns the engine. `read()` and `write()` each yield one connection inside one transaction;
    `read_statement()` one connection for a single SELECT."""

    def __init__(self, url: str, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.engine = create_db_engine(url, pool_size)
        self.is_sqlite = self.engine.dialect.name == "sqlite"

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

    def first_row(self, select: DriverSelect, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of `select`, run on a pooled connection's own cursor, without SQLAlchemy's
        execution layer (which costs more than a point read of SQLite): for the API's hottest read. Like
        `read_statement`, no transaction around it."""
        dialect = self.engine.dialect
        sql, parameters = select.sql(dialect, params)
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, parameters)
                row = cursor.fetchone()
                description = cursor.description
            finally:
                cursor.close()
        finally:
            connection.close()
        return select.convert(dialect, description, row) if row is not None else None

    def dispose(self) -> None:
        self.engine.dispose()
