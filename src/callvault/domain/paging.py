"""Keyset paging, a callvault extension: `pageSize`, an opaque `pageToken`, and the sort order.

A token names the last row of the previous page by its sort key (start time, row id) and the order,
so the next page starts right after it however many recordings were added meanwhile. Tokens are
base64url JSON: opaque to clients, checked on the way in (a bad one is a 400, never a 500).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from callvault.domain.errors import ValidationFailed
from callvault.domain.recordings import LIST_LIMIT
from callvault.domain.timefmt import parse_iso_time

OLDEST_FIRST = "startTime"
NEWEST_FIRST = "-startTime"
SORTS = (OLDEST_FIRST, NEWEST_FIRST)


@dataclass(frozen=True)
class PageCursor:
    """The sort key of the last row already seen."""

    start_time: datetime
    row_id: int


@dataclass(frozen=True)
class PageRequest:
    size: int
    newest_first: bool = False
    after: PageCursor | None = None


def parse_page_size(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        size = int(value)
    except ValueError:
        size = 0
    if not 1 <= size <= LIST_LIMIT:
        raise ValidationFailed(
            f"Invalid pageSize {value[:32]!r}: must be a whole number from 1 to {LIST_LIMIT}"
        )
    return size


def parse_sort(value: str | None) -> bool:
    """True for newest first."""
    if value is None or value == "":
        return False
    if value not in SORTS:
        raise ValidationFailed(f"Invalid sort {value[:32]!r}: must be one of {', '.join(SORTS)}")
    return value == NEWEST_FIRST


def encode_token(cursor: PageCursor, newest_first: bool) -> str:
    # Full microseconds: the key must equal the stored value exactly.
    payload = {"t": cursor.start_time.isoformat(), "i": cursor.row_id, "n": newest_first}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, newest_first: bool) -> PageCursor:
    invalid = ValidationFailed("Invalid pageToken: use the one the previous page's Link header gave")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        if not (
            isinstance(payload, dict)
            and isinstance(payload.get("t"), str)
            and type(payload.get("i")) is int
            and 0 <= payload["i"] < 2**63
        ):
            raise invalid  # a token we did not write: its time is text, its row id a database's integer
        cursor = PageCursor(parse_iso_time(payload["t"], "pageToken"), payload["i"])
        same_order = bool(payload["n"]) == newest_first
    except (binascii.Error, ValueError, KeyError, TypeError, ValidationFailed):
        raise invalid from None
    if not same_order:
        raise ValidationFailed("Invalid pageToken: it was made for the other sort order")
    return cursor


def build_page(page_size: str | None, page_token: str | None, sort: str | None) -> PageRequest | None:
    """The page asked for, or None for Bandwidth's standard list (oldest first, capped at 1,000)."""
    newest_first = parse_sort(sort)
    size = parse_page_size(page_size)
    if size is None and not page_token and not newest_first:
        return None
    after = decode_token(page_token, newest_first) if page_token else None
    return PageRequest(size=size or LIST_LIMIT, newest_first=newest_first, after=after)
