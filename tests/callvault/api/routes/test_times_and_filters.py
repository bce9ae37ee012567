"""Over HTTP: endTime = startTime + duration to the millisecond, and `?from=+1...` typed unencoded."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from callvault.domain.timefmt import parse_iso_time
from support.audio_files import write_wav
from support.server import LiveServer


def test_end_time_is_start_plus_duration(live_server: LiveServer, tmp_path: Path) -> None:
    media = write_wav(tmp_path / "odd.wav", seconds=6.9755, sample_rate=8000, channels=1)
    body = live_server.ingest(f"c-{uuid.uuid4()}", media, {"startTime": "2022-06-17T22:19:40.375Z"})

    assert (body["startTime"], body["duration"]) == ("2022-06-17T22:19:40.375Z", "PT6.976S")
    assert body["endTime"] == "2022-06-17T22:19:47.351Z"
    start, end = parse_iso_time(body["startTime"], "s"), parse_iso_time(body["endTime"], "e")
    assert end - start == timedelta(seconds=6.976)


def test_phone_filter_typed_with_an_unencoded_plus(live_server: LiveServer, wav_file: Path) -> None:
    number = "+1919" + str(uuid.uuid4().int)[:7]
    recording_id = live_server.ingest(f"c-{uuid.uuid4()}", wav_file, {"from": number, "to": number})[
        "recordingId"
    ]
    base = f"/api/v2/accounts/{live_server.account_id}/recordings"
    with live_server.client() as client:
        for query in (f"from={number}", f"to={number}", f"from=%2B{number[1:]}", f"from=%20{number[1:]}"):
            response = client.get(f"{base}?{query}")
            assert response.status_code == 200
            assert [r["recordingId"] for r in response.json()] == [recording_id], query
        assert client.get(f"{base}?from={number[1:]}").json() == []
