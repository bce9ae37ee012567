"""An account's recordings as the list's filters find them: the API's list and its keyset pages as wire
rows (the columns a caller names, as the driver gives them), the console's pages as records, and
counts. One filter rule, one order and one keyset condition for all of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, func, or_, select

from callvault.domain.paging import PageCursor, PageRequest
from callvault.domain.recordings import RecordingFilter
from callvault.domain.records import Recording
from callvault.store.database import DriverSelect, MetadataStore
from callvault.store.recordings_repo import recording_from_row, wire_rows
from callvault.store.tables import recordings


def filtered_recordings(flt: RecordingFilter) -> Select[Any]:
    """The account's recordings that pass the filter (no order, no limit)."""
    parameters = _filter_parameters(flt)
    return _where_filter(select(recordings), parameters).params(**parameters)


_FILTERS: dict[str, ColumnElement[bool]] = {
    "to": recordings.c.to_number == bindparam("to"),
    "from_": recordings.c.from_number == bindparam("from_"),
    "min_start_time": recordings.c.start_time >= bindparam("min_start_time"),
    "max_start_time": recordings.c.start_time < bindparam("max_start_time"),
    "direction": recordings.c.direction == bindparam("direction"),
    "tag": recordings.c.tag == bindparam("tag"),
}
"""Each filter of a RecordingFilter, by its field's name, with its value as a parameter of that name."""


def _filter_parameters(flt: RecordingFilter) -> dict[str, Any]:
    """The account and the filters `flt` sets, by name (the shape of the query is which ones are set)."""
    given = {name: getattr(flt, name) for name in _FILTERS}
    return {"account_id": flt.account_id} | {
        name: value for name, value in given.items() if value is not None
    }


def _where_filter(query: Select[Any], names: Iterable[str]) -> Select[Any]:
    query = query.where(recordings.c.account_id == bindparam("account_id"))
    return query.where(*(_FILTERS[name] for name in names if name in _FILTERS))


_LISTS: dict[tuple[tuple[str, ...], tuple[str, ...], str], DriverSelect] = {}
"""The list query of each (columns, filter shape and cursor, whole list or page and order), compiled once
per database and run on the driver's cursor."""


def list_recording_rows(
    store: MetadataStore, flt: RecordingFilter, columns: Sequence[str]
) -> list[tuple[Any, ...]]:
    """The `columns` of an account's recordings that pass the filter, oldest first, then their
    transcription's id, status and completed time (NULL when it has none), as the driver gives them
    (`MetadataStore.driver_rows`)."""
    statement, parameters = list_statement(flt, columns)
    return store.driver_rows(statement, parameters)


def list_recording_rows_page(
    store: MetadataStore, flt: RecordingFilter, page: PageRequest, columns: Sequence[str]
) -> tuple[list[tuple[Any, ...]], PageCursor | None]:
    """Up to `page.size` rows like `list_recording_rows`' after the page's cursor, in (start time, id)
    order or its reverse, and the cursor of the last of them when a next page exists."""
    statement, parameters = list_statement(flt, columns, page)
    rows = store.driver_rows(statement, parameters)
    if len(rows) <= page.size:
        return rows, None
    last = rows[page.size - 1]
    start_time = store.as_read(recordings.c.start_time, last[-1])
    return rows[: page.size], PageCursor(start_time, int(last[-2]))


def _order_of(page: PageRequest | None) -> str:
    return "newest_first" if page is not None and page.newest_first else "oldest_first"


_ORDER = {
    "oldest_first": (recordings.c.start_time, recordings.c.id),
    "newest_first": (recordings.c.start_time.desc(), recordings.c.id.desc()),
}
"""A list's order (the keyset pages' too): by start time, then row id."""
_AFTER = {
    "oldest_first": or_(
        recordings.c.start_time > bindparam("after_time"),
        and_(recordings.c.start_time == bindparam("after_time"), recordings.c.id > bindparam("after_id")),
    ),
    "newest_first": or_(
        recordings.c.start_time < bindparam("after_time"),
        and_(recordings.c.start_time == bindparam("after_time"), recordings.c.id < bindparam("after_id")),
    ),
}
"""The rows after a page's cursor, in each order."""


def list_statement(
    flt: RecordingFilter, columns: Sequence[str], page: PageRequest | None = None
) -> tuple[DriverSelect, dict[str, Any]]:
    """The query `list_recording_rows` (or, for a page, `list_recording_rows_page`) runs, and its
    parameters. A page's rows end with the recording's row id and start time: its cursor."""
    parameters = _filter_parameters(flt)
    order = _order_of(page)
    if page is None:
        parameters["limit"] = flt.limit
    else:
        parameters["limit"] = page.size + 1  # the extra row only says that a next page exists
        if page.after is not None:
            parameters |= {"after_time": page.after.start_time, "after_id": page.after.row_id}
    key = (tuple(columns), tuple(parameters), order if page is None else f"page, {order}")
    if key not in _LISTS:
        cursor = (  # labelled: a select keeps a column it already has only once
            (recordings.c.id.label("cursor_id"), recordings.c.start_time.label("cursor_start_time"))
            if page is not None
            else ()
        )
        query = _where_filter(wire_rows(columns, *cursor), key[1])
        if "after_id" in parameters:
            query = query.where(_AFTER[order])
        _LISTS[key] = DriverSelect(query.order_by(*_ORDER[order]).limit(bindparam("limit")))
    return _LISTS[key], parameters


def list_recordings_page(conn: Connection, flt: RecordingFilter, page: PageRequest) -> list[Recording]:
    """Up to `page.size + 1` recordings after the page's cursor in (start time, id) order: the extra
    row only says that a next page exists."""
    order = _order_of(page)
    query = filtered_recordings(flt)
    if page.after is not None:
        after = {"after_time": page.after.start_time, "after_id": page.after.row_id}
        query = query.where(_AFTER[order]).params(**after)
    query = query.order_by(*_ORDER[order]).limit(page.size + 1)
    return [recording_from_row(row) for row in conn.execute(query)]


def count_recordings(conn: Connection, flt: RecordingFilter, *, up_to: int) -> int:
    """How many recordings pass the filter, counting no further than `up_to` (cheap on big accounts)."""
    capped = filtered_recordings(flt).with_only_columns(recordings.c.id).limit(up_to).subquery()
    return int(conn.execute(select(func.count()).select_from(capped)).scalar_one())
