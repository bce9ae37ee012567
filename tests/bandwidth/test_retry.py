"""Opt-in retry of 429 responses, honouring Retry-After."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

import bandwidth
from bandwidth.api_client import retry_after_seconds
from bandwidth.rest import ApiException
from support.canned_http import CannedResponse, CannedServer

ACCOUNT = "9900000"
CALL = "c-1"
RECORDING = "r-1"
RECORDING_PATH = f"/accounts/{ACCOUNT}/calls/{CALL}/recordings/{RECORDING}"
TOO_MANY = {"type": "error", "description": "Too many requests"}
FOUND = CannedResponse(200, {"recordingId": RECORDING})
MakeApi = Callable[..., bandwidth.RecordingsApi]


def rate_limited(retry_after: str) -> CannedResponse:
    return CannedResponse(429, TOO_MANY, {"Retry-After": retry_after})


def test_429_raises_at_once_by_default(canned_server: CannedServer, make_api: MakeApi) -> None:
    canned_server.add("GET", RECORDING_PATH, rate_limited("0"), FOUND)

    with pytest.raises(ApiException) as raised:
        make_api().get_call_recording(ACCOUNT, CALL, RECORDING)

    assert raised.value.status == 429
    assert raised.value.headers is not None and raised.value.headers["Retry-After"] == "0"
    assert len(canned_server.requests) == 1


def test_opt_in_retry_waits_retry_after_seconds_then_succeeds(
    canned_server: CannedServer, make_api: MakeApi
) -> None:
    canned_server.add("GET", RECORDING_PATH, rate_limited("1"), FOUND)

    started = time.monotonic()
    result = make_api(retry_on_rate_limit=True).get_call_recording(ACCOUNT, CALL, RECORDING)
    elapsed = time.monotonic() - started

    assert result.recording_id == RECORDING
    assert len(canned_server.requests) == 2
    assert elapsed >= 0.95


def test_opt_in_retry_gives_up_after_max_retries(canned_server: CannedServer, make_api: MakeApi) -> None:
    canned_server.add("GET", RECORDING_PATH, rate_limited("0"))

    with pytest.raises(ApiException) as raised:
        api = make_api(retry_on_rate_limit=True, max_rate_limit_retries=2)
        api.get_call_recording(ACCOUNT, CALL, RECORDING)

    assert raised.value.status == 429
    assert len(canned_server.requests) == 3  # the first try and two retries


def test_retry_resends_the_request_body(canned_server: CannedServer, make_api: MakeApi) -> None:
    path = RECORDING_PATH + "/transcription"
    canned_server.add("POST", path, rate_limited("0"), rate_limited("0"), CannedResponse(204))

    api = make_api(retry_on_rate_limit=True)
    api.transcribe_call_recording(ACCOUNT, CALL, RECORDING, bandwidth.TranscribeRecording(tag="t-1"))

    bodies = [request.json() for request in canned_server.requests]
    assert len(bodies) == 3
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["tag"] == "t-1"


def test_retry_after_wait_is_capped(canned_server: CannedServer, make_api: MakeApi) -> None:
    canned_server.add("GET", RECORDING_PATH, rate_limited("3600"), FOUND)
    api = make_api(retry_on_rate_limit=True)
    api.api_client.configuration.max_retry_after_seconds = 0.2

    started = time.monotonic()
    api.get_call_recording(ACCOUNT, CALL, RECORDING)

    # Uncapped, the client would wait the hour (or its 60 s default cap): anything near the 0.2 s cap
    # passes; how near is measured by `make bench` (benchmarks/bench_latency.py).
    assert time.monotonic() - started < 30
    assert len(canned_server.requests) == 2


@pytest.mark.parametrize(
    ("header", "expected"),
    [("2", 2.0), ("0.5", 0.5), ("-3", 0.0), ("120", 60.0), (None, 1.0), ("", 1.0), ("soon", 1.0)],
)
def test_retry_after_seconds_parses_delta_seconds(header: str | None, expected: float) -> None:
    assert retry_after_seconds(header, cap=60.0) == expected


def test_retry_after_seconds_parses_an_http_date() -> None:
    header = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)

    assert 25 <= retry_after_seconds(header, cap=60.0) <= 30
    past = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
    assert retry_after_seconds(past, cap=60.0) == 0.0
