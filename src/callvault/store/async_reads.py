"""Point reads of PostgreSQL on the event loop: a small pool of asynchronous psycopg connections
(psycopg_pool), so the API's hottest read needs no thread hop and no ping before its query.

A connection is not checked before use: one that turns out broken (the server restarted, a proxy
dropped it) fails its query; then the pool checks its idle connections, drops the dead ones, and the
read is tried once more, so a restart costs no request an error. Connections run in autocommit: each
read is its own snapshot, as `MetadataStore.read_statement` gives.

The pool belongs to the event loop that first used it (the server's); a read from another loop
returns None, and the caller reads the synchronous way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

ASYNC_POOL_SIZE = 8
"""Connections the pool holds at most: a point read takes well under a millisecond, so a few serve
hundreds of requests at once."""


def _conninfo(url: str) -> str:
    """A psycopg connection string from SQLAlchemy's URL (`postgresql+psycopg://…`)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class AsyncPointReads:
    """See the module docstring. `close()` from the loop that uses it."""

    def __init__(self, url: str, max_size: int = ASYNC_POOL_SIZE) -> None:
        self._conninfo = _conninfo(url)
        self._max_size = max_size
        self._pool: AsyncConnectionPool[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening = asyncio.Lock()

    async def _opened(self) -> AsyncConnectionPool[Any] | None:
        loop = asyncio.get_running_loop()
        if self._pool is not None:
            return self._pool if loop is self._loop else None
        async with self._opening:
            if self._pool is None:
                pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=self._max_size,
                    kwargs={"autocommit": True},
                    open=False,
                )
                await pool.open()
                self._pool, self._loop = pool, loop
        return self._pool if loop is self._loop else None

    async def first_row(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any], *, describe: bool
    ) -> tuple[tuple[Any, ...] | None, Sequence[Any]] | None:
        """The first row of `sql` and, if `describe`, the cursor's description; None when this loop has
        no pool here."""
        pool = await self._opened()
        if pool is None:
            return None
        for attempt in (1, 2):
            try:
                async with pool.connection() as connection, connection.cursor() as cursor:
                    await cursor.execute(sql, parameters)
                    row = await cursor.fetchone()
                    return row, (cursor.description or ()) if describe else ()
            except psycopg.OperationalError:
                if attempt == 2:
                    raise
                await pool.check()  # after a restart every idle connection is dead: drop them all
        raise AssertionError("unreachable")

    async def close(self) -> None:
        pool, self._pool, self._loop = self._pool, None, None
        if pool is not None:
            await pool.close()
