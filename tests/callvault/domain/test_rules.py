"""Pure rules: durations, times, ids, filters, transcription limits, settings parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callvault.domain.errors import ValidationFailed
from callvault.domain.ids import is_valid_id, new_call_id, new_recording_id, new_transcription_id, require_id
from callvault.domain.recordings import build_filter, transcription_size_status
from callvault.domain.timefmt import format_iso_duration, format_iso_time, parse_iso_time
from callvault.settings import Settings, parse_duration_seconds, parse_size_bytes


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (6.6, "PT6.6S"),
        (0, "PT0S"),
        (13.67, "PT13.67S"),
        (60, "PT1M"),
        (75.25, "PT1M15.25S"),
        (3723.5, "PT1H2M3.5S"),
    ],
)
def test_iso_duration(seconds: float, expected: str) -> None:
    assert format_iso_duration(seconds) == expected


def test_iso_time_round_trip_and_forms() -> None:
    parsed = parse_iso_time("2022-06-21T19:13:21Z", "minStartTime")
    assert parsed == datetime(2022, 6, 21, 19, 13, 21, tzinfo=UTC)
    assert parse_iso_time("2022-06-21T21:13:21+02:00", "x") == parsed
    assert parse_iso_time("2022-06-21T19:13:21", "x") == parsed
    assert (
        format_iso_time(datetime(2022, 6, 17, 22, 19, 40, 375123, tzinfo=UTC)) == "2022-06-17T22:19:40.375Z"
    )


@pytest.mark.parametrize("bad", ["yesterday", "2022-13-01T00:00:00Z", "", "1655838801"])
def test_unparsable_times_name_the_field(bad: str) -> None:
    with pytest.raises(ValidationFailed, match="maxStartTime"):
        parse_iso_time(bad, "maxStartTime")


def test_ids() -> None:
    for generated in (new_recording_id(), new_call_id(), new_transcription_id()):
        assert is_valid_id(generated)
    assert new_recording_id().startswith("r-") and new_call_id().startswith("c-")
    for bad in ("../etc", "a/b", "", "x" * 129, "r.1", "a b", "-lead"):
        assert not is_valid_id(bad)
        with pytest.raises(ValidationFailed, match="callId"):
            require_id(bad, "callId")


def test_filter_building() -> None:
    flt = build_filter(
        "9900000", to="", from_="+1", min_start_time="2022-01-01T00:00:00Z", max_start_time=None
    )
    assert flt.to is None and flt.from_ == "+1" and flt.limit == 1000
    assert flt.min_start_time == datetime(2022, 1, 1, tzinfo=UTC)


def test_transcription_size_limits() -> None:
    assert transcription_size_status(0.3) == "file-size-too-small"
    assert transcription_size_status(0.5) == "file-size-too-small"
    assert transcription_size_status(0.51) is None
    assert transcription_size_status(4 * 3600) == "file-size-too-big"
    assert transcription_size_status(4 * 3600 - 1) is None


def test_settings_parse_units(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_duration_seconds("24h") == 86400
    assert parse_duration_seconds("250ms") == 0.25
    assert parse_size_bytes("500MB") == 500 * 1024**2
    monkeypatch.setenv("CALLVAULT_PURGE_GRACE", "2s")
    monkeypatch.setenv("CALLVAULT_RATE_LIMIT", "off")
    monkeypatch.setenv("CALLVAULT_MAX_UPLOAD", "1g")
    settings = Settings()
    assert settings.purge_grace == 2.0 and settings.rate_limit is None and settings.max_upload == 1024**3
    with pytest.raises(ValueError):
        parse_duration_seconds("soon")
