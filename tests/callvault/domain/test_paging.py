"""Page sizes, sort orders and page tokens: the rules, without a database."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from callvault.domain.errors import ValidationFailed
from callvault.domain.paging import PageCursor, build_page, decode_token, encode_token


def test_page_tokens_round_trip_and_refuse_tampering() -> None:
    cursor = PageCursor(datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC), 42)
    token = encode_token(cursor, newest_first=True)
    assert decode_token(token, newest_first=True) == cursor
    with pytest.raises(ValidationFailed, match="other sort order"):
        decode_token(token, newest_first=False)
    for bad in ("%%%", "e30", token[:-3]):
        with pytest.raises(ValidationFailed, match="pageToken"):
            decode_token(bad, newest_first=True)


@pytest.mark.parametrize(
    "payload",
    [
        {"t": 12, "i": "xx", "n": True},
        {"t": "2026-11-30T12:00:00+00:00", "i": "42", "n": True},
        {"t": "2026-11-30T12:00:00+00:00", "i": 4.2, "n": True},
        {"t": "2026-11-30T12:00:00+00:00", "i": 10**30, "n": True},
        {"t": "2026-11-30T12:00:00+00:00", "i": -1, "n": True},
        {"t": ["2026"], "i": 42, "n": True},
        ["2026-11-30T12:00:00+00:00", 42, True],
        "text",
        None,
    ],
)
def test_a_token_of_the_wrong_shape_is_refused_like_any_other(payload: object) -> None:
    token = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    with pytest.raises(ValidationFailed, match="Invalid pageToken: use the one"):
        decode_token(token, newest_first=True)


def test_the_standard_list_is_unpaged_unless_asked() -> None:
    assert build_page(None, None, None) is None
    page = build_page("25", None, "-startTime")
    assert page is not None and page.size == 25 and page.newest_first
    for size in ("0", "1001", "ten"):
        with pytest.raises(ValidationFailed, match="pageSize"):
            build_page(size, None, None)
    with pytest.raises(ValidationFailed, match="sort"):
        build_page(None, None, "duration")
