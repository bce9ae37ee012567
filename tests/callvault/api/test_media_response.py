"""The Range header read at the HTTP edge (RFC 9110): one byte range, or None for the whole body."""

from __future__ import annotations

import pytest

from callvault.api.media_response import parse_range
from callvault.domain.byte_ranges import ByteRange


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("bytes=0-3", ByteRange(first=0, last=3)),
        ("Bytes = 10-", ByteRange(first=10)),
        ("bytes=-5", ByteRange(suffix=5)),
        ("bytes=-0", ByteRange(suffix=0)),  # valid, and selects nothing: 416 once the size is known
        ("bytes=" + "9" * 5000 + "-", ByteRange(first=10**19)),  # past any media, never a huge int
        ("bytes=0-" + "9" * 5000, ByteRange(first=0, last=10**19)),
    ],
)
def test_one_range_is_read_into_its_type(header: str, parsed: ByteRange) -> None:
    assert parse_range(header) == parsed


@pytest.mark.parametrize(
    "header", [None, "", "items=0-3", "bytes=5-2", "bytes=0-1,5-6", "bytes=-", "bytes=a-b", "bytes=0-3,"]
)
def test_anything_else_means_the_whole_body(header: str | None) -> None:
    assert parse_range(header) is None
