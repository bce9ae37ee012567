"""Which bytes a typed range selects of a body, and when it selects none (416)."""

from __future__ import annotations

import pytest

from callvault.domain.byte_ranges import ByteRange
from callvault.domain.errors import RangeNotSatisfiable, ValidationFailed


@pytest.mark.parametrize(
    ("byte_range", "selected"),
    [
        (ByteRange(first=0, last=3), (0, 3)),
        (ByteRange(first=10), (10, 99)),
        (ByteRange(first=90, last=5000), (90, 99)),  # a last byte past the end is the end
        (ByteRange(suffix=5), (95, 99)),
        (ByteRange(suffix=500), (0, 99)),
    ],
)
def test_a_range_selects_bytes_of_a_body(byte_range: ByteRange, selected: tuple[int, int]) -> None:
    assert byte_range.within(100) == selected


@pytest.mark.parametrize("byte_range", [ByteRange(first=100), ByteRange(first=10**19), ByteRange(suffix=0)])
def test_a_range_that_selects_nothing_is_416_with_the_size(byte_range: ByteRange) -> None:
    with pytest.raises(RangeNotSatisfiable) as raised:
        byte_range.within(100)
    assert raised.value.headers == {"Content-Range": "bytes */100"}
    assert str(byte_range) in raised.value.description


@pytest.mark.parametrize(
    "fields", [{}, {"first": 1, "suffix": 2}, {"suffix": 2, "last": 4}, {"first": 5, "last": 2}]
)
def test_a_range_is_one_of_its_two_forms(fields: dict[str, int]) -> None:
    with pytest.raises(ValidationFailed):
        ByteRange(**fields)
