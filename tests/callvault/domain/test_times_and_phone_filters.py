"""endTime is startTime + duration to the millisecond; a `+` typed unencoded in a phone filter counts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from callvault.domain.recordings import build_filter
from callvault.domain.timefmt import end_time_of, format_iso_duration, format_iso_time, parse_iso_time


def _wire_seconds(duration: str) -> float:
    assert (
        duration.startswith("PT") and duration.endswith("S") and "M" not in duration and "H" not in duration
    )
    return float(duration[2:-1])


def test_end_time_adds_up_on_the_wire_to_the_millisecond() -> None:
    rng = random.Random(7)
    start = datetime(2022, 6, 17, 22, 19, 40, 375000, tzinfo=UTC)
    assert format_iso_time(end_time_of(start, 6.9755)) == "2022-06-17T22:19:47.351Z"
    for _ in range(5000):
        start = datetime(2022, 6, 17, 22, 19, 0, tzinfo=UTC) + timedelta(
            microseconds=rng.randrange(60_000_000)
        )
        seconds = rng.uniform(0, 59)
        wire_start = parse_iso_time(format_iso_time(start), "startTime")
        wire_end = parse_iso_time(format_iso_time(end_time_of(start, seconds)), "endTime")
        assert wire_end - wire_start == timedelta(seconds=_wire_seconds(format_iso_duration(seconds)))


def test_a_leading_space_before_digits_is_a_plus() -> None:
    flt = build_filter(
        "9900000", to=" 19195554321", from_=" 19195551234", min_start_time=None, max_start_time=None
    )
    assert (flt.to, flt.from_) == ("+19195554321", "+19195551234")
    for kept in ("+19195551234", "19195551234", " abc", "  19195551234", " 1919 555"):
        assert (
            build_filter("9900000", to=kept, from_=None, min_start_time=None, max_start_time=None).to == kept
        )
