"""callvault's extensions to the recordings list, against a real server (SQLite+files, and
PostgreSQL+S3 with CALLVAULT_TEST_BACKEND=scale): transcript search, keyset pages, waveform peaks,
and the download's file name. A Bandwidth client that does not use them sees no difference."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.server import LiveServer


def _number() -> str:
    return f"+1555{uuid.uuid4().int % 10**7:07d}"


def _list(server: LiveServer, **params: str) -> httpx.Response:
    with server.client() as client:
        return client.get(f"/api/v2/accounts/{server.account_id}/recordings", params=params)


def _transcribe(server: LiveServer, created: dict[str, Any], body: dict[str, Any]) -> str:
    path = (
        f"/api/v2/accounts/{server.account_id}/calls/{created['callId']}/recordings/{created['recordingId']}"
    )
    with server.client() as client:
        assert client.post(f"{path}/transcription", json=body).status_code == 204
    return path


def _wait_available(server: LiveServer, paths: list[str], timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    with server.client() as client:
        for path in paths:
            while (client.get(path).json().get("transcription") or {}).get("status") != "available":
                assert time.monotonic() < deadline, f"{path} not transcribed:\n{server.log()[-2000:]}"
                time.sleep(0.5)


@pytest.mark.slow
def test_transcript_search_finds_ranks_marks_and_forgets(
    live_server: LiveServer, speech_path: Callable[[str], Path]
) -> None:
    caller, other = _number(), _number()
    english = live_server.ingest(f"c-{uuid.uuid4()}", speech_path("english_16k"), {"from": caller})
    stereo = live_server.ingest(
        f"c-{uuid.uuid4()}", speech_path("call_stereo_8k"), {"from": other, "direction": "inbound"}
    )
    spanish = live_server.ingest(f"c-{uuid.uuid4()}", speech_path("spanish_8k"), {"from": caller})
    paths = [
        _transcribe(live_server, english, {}),
        _transcribe(live_server, stereo, {}),
        _transcribe(live_server, spanish, {"detectLanguage": True}),
    ]
    _wait_available(live_server, paths)

    # "calling about my account, the bill for last month": one recording, its clip and a marked snippet
    found = _list(live_server, q="account month", **{"from": caller}).json()
    assert [r["recordingId"] for r in found] == [english["recordingId"]]
    match = found[0]["searchMatch"]
    assert "<mark>account</mark>" in match["snippet"].lower()
    assert "<mark>month</mark>" in match["snippet"].lower()
    assert 0.0 <= match["clipStartTime"] < match["clipEndTime"] <= 10.0
    assert match["channel"] == 1 and match["matchingClips"] >= 1 and match["score"] > 0
    assert found[0]["mediaUrl"].endswith(f"/recordings/{english['recordingId']}/media")

    # the caller (channel 1) of the stereo call asks about an order; filters still apply
    by_order = _list(live_server, q="order status", **{"from": other}).json()
    assert [r["recordingId"] for r in by_order] == [stereo["recordingId"]]
    assert by_order[0]["searchMatch"]["channel"] == 1
    assert _list(live_server, q="order", **{"from": caller}).json() == []

    # Spanish speech, found by a Spanish word
    assert [r["recordingId"] for r in _list(live_server, q="factura", **{"from": caller}).json()] == [
        spanish["recordingId"]
    ]

    # the transcript's deletion removes it from the results
    with live_server.client() as client:
        assert client.delete(f"{paths[0]}/transcription").status_code == 204
    assert _list(live_server, q="account month", **{"from": caller}).json() == []


def test_search_refuses_what_it_cannot_do(live_server: LiveServer) -> None:
    for params, needle in (
        ({"q": "  "}, "at least one word"),
        ({"q": "x" * 201}, "at most 200"),
        ({"q": "refund", "pageToken": "abc"}, "pageToken"),
        ({"pageSize": "0"}, "pageSize"),
        ({"pageSize": "10", "pageToken": "not-a-token"}, "pageToken"),
        ({"sort": "-duration"}, "sort"),
    ):
        response = _list(live_server, **params)
        assert response.status_code == 400, params
        body = response.json()
        assert body["type"] == "validation" and needle in body["description"] and body["id"]


def test_keyset_pages_follow_the_link_header_and_stay_stable_while_recordings_arrive(
    live_server: LiveServer, wav_file: Path
) -> None:
    number = _number()
    made = [
        live_server.ingest(
            f"c-{uuid.uuid4()}",
            wav_file,
            {"from": number, "startTime": f"2026-03-01T10:00:{i // 2:02d}.000Z"},
        )["recordingId"]
        for i in range(7)
    ]
    standard = _list(live_server, **{"from": number})
    assert "link" not in standard.headers
    assert [r["recordingId"] for r in standard.json()] == made

    seen: list[str] = []
    response = _list(live_server, pageSize="3", **{"from": number})
    pages = 0
    while True:
        pages += 1
        assert response.status_code == 200, response.text
        assert len(response.json()) <= 3
        seen += [r["recordingId"] for r in response.json()]
        if pages == 1:  # a new recording arrives while the client pages
            live_server.ingest(f"c-{uuid.uuid4()}", wav_file, {"from": number})
        link = response.headers.get("link")
        if not link:
            break
        url, rel = link.split(";", 1)
        assert rel.strip() == 'rel="next"' and url.startswith(f"<{live_server.url}/api/v2/accounts/")
        with live_server.client() as client:
            response = client.get(url.strip("<>"))
    assert seen[:7] == made and len(seen) == 8 == len(set(seen))

    newest = _list(live_server, pageSize="5", sort="-startTime", **{"from": number})
    assert [r["recordingId"] for r in newest.json()][1:] == list(reversed(made))[:4]
    assert 'rel="next"' in newest.headers["link"]


def test_downloads_are_attachments_named_by_recording_and_peaks_are_cached(
    live_server: LiveServer, stereo_wav_file: Path, mp3_file: Path
) -> None:
    for media, extension in ((stereo_wav_file, "wav"), (mp3_file, "mp3")):
        created = live_server.ingest(f"c-{uuid.uuid4()}", media, {})
        path = (
            f"/api/v2/accounts/{live_server.account_id}/calls/{created['callId']}"
            f"/recordings/{created['recordingId']}"
        )
        with live_server.client() as client:
            download = client.get(f"{path}/media")
            assert download.headers["content-disposition"] == (
                f'attachment; filename="{created["recordingId"]}.{extension}"'
            )
            ranged = client.get(f"{path}/media", headers={"Range": "bytes=0-9"})
            assert ranged.status_code == 206 and "attachment" in ranged.headers["content-disposition"]

            peaks = client.get(f"{path}/peaks")
            assert peaks.status_code == 200
            body = peaks.json()
            assert len(body["peaks"]) == created["channels"]
            assert body["duration"] == pytest.approx(3.0 if extension == "mp3" else 1.5, abs=0.1)
            assert all(0.0 <= v <= 1.0 for lane in body["peaks"] for v in lane)
            assert max(body["peaks"][0]) > 0.2  # the tone is at 0.3 of full scale
            assert client.get(f"{path}/peaks").json() == body
        cached = live_server.db_rows(
            "SELECT count(*) FROM waveform_peaks WHERE recording_id = :r", r=created["recordingId"]
        )
        assert cached == [(1,)]
        with live_server.client() as client:
            assert client.delete(f"{path}/media").status_code == 204
            assert client.get(f"{path}/peaks").status_code == 404
        assert live_server.db_rows(
            "SELECT count(*) FROM waveform_peaks WHERE recording_id = :r", r=created["recordingId"]
        ) == [(0,)]
