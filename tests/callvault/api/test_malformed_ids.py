"""Ids that cannot exist get the real service's answers (Bandwidth's smoke tests check them): 403 for
an account id the user may not use, 404 for a call or recording id, `[]` for the recordings of a call
that cannot exist; the strict id pattern still guards the ids callvault stores."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from support.server import LiveServer

MALFORMED = ["not a recording id", "r.bad..id", "a..b", "%2e%2e%5cetc", "%00", "x" * 3000, "caf%C3%A9"]
RECORDING_ROUTES = [
    ("GET", ""),
    ("DELETE", ""),
    ("GET", "/media"),
    ("DELETE", "/media"),
    ("GET", "/transcription"),
    ("DELETE", "/transcription"),
    ("POST", "/transcription"),
    ("GET", "/peaks"),
]


@pytest.fixture(scope="module")
def recording(live_server: LiveServer, wav_file: Path) -> tuple[str, str]:
    call_id = f"c-{uuid.uuid4()}"
    return call_id, live_server.ingest(call_id, wav_file, {})["recordingId"]


def _request(client: httpx.Client, method: str, path: str) -> httpx.Response:
    if method in ("POST", "PUT"):
        return client.request(method, path, content=b"{}", headers={"Content-Type": "application/json"})
    return client.request(method, path)


def _assert_error(response: httpx.Response, status: int, error_type: str) -> None:
    assert response.status_code == status, (response.request.url, response.text[:300])
    body = response.json()
    assert set(body) == {"type", "description", "id"}
    assert body["type"] == error_type
    assert len(body["description"]) < 400


@pytest.mark.parametrize("prefix", ["/api/v2", ""])
def test_account_id_the_user_may_not_use_is_403(
    live_server: LiveServer, recording: tuple[str, str], prefix: str
) -> None:
    call_id, recording_id = recording
    with live_server.client() as client:
        for account in ["not an account id", "%00", "9" * 3000, "a..b", "5550000"]:
            base = f"{prefix}/accounts/{account}"
            _assert_error(client.get(f"{base}/recordings"), 403, "authorization-error")
            _assert_error(client.get(f"{base}/calls/{call_id}/recordings"), 403, "authorization-error")
            for method, suffix in RECORDING_ROUTES:
                path = f"{base}/calls/{call_id}/recordings/{recording_id}{suffix}"
                _assert_error(_request(client, method, path), 403, "authorization-error")
            _assert_error(
                _request(client, "PUT", f"{base}/calls/{call_id}/recording"), 403, "authorization-error"
            )


@pytest.mark.parametrize("prefix", ["/api/v2", ""])
def test_call_or_recording_id_that_cannot_exist_is_404(
    live_server: LiveServer, recording: tuple[str, str], prefix: str
) -> None:
    call_id, recording_id = recording
    base = f"{prefix}/accounts/{live_server.account_id}"
    with live_server.client() as client:
        for bad in MALFORMED:
            for method, suffix in RECORDING_ROUTES:
                for call, rec in ((call_id, bad), (bad, recording_id)):
                    response = _request(client, method, f"{base}/calls/{call}/recordings/{rec}{suffix}")
                    _assert_error(response, 404, "not-found")
            update = client.put(f"{base}/calls/{bad}/recording", json={"state": "paused"})
            _assert_error(update, 404, "not-found")
            _assert_error(client.get(f"{base}/calls/{bad}"), 404, "not-found")
            _assert_error(client.post(f"{base}/calls/{bad}", json={"state": "completed"}), 404, "not-found")
            bxml = client.put(
                f"{base}/calls/{bad}/bxml",
                content=b"<Bxml><PauseRecording/></Bxml>",
                headers={"Content-Type": "application/xml"},
            )
            _assert_error(bxml, 404, "not-found")
        assert client.get(f"{base}/calls/{call_id}/recordings/{recording_id}").status_code == 200


@pytest.mark.parametrize("prefix", ["/api/v2", ""])
def test_recordings_of_a_call_that_cannot_exist_are_an_empty_list(
    live_server: LiveServer, prefix: str
) -> None:
    with live_server.client() as client:
        for bad in MALFORMED:
            response = client.get(f"{prefix}/accounts/{live_server.account_id}/calls/{bad}/recordings")
            assert response.status_code == 200, response.text
            assert response.json() == []


def test_credentials_are_checked_before_ids(live_server: LiveServer) -> None:
    response = httpx.get(
        f"{live_server.url}/api/v2/accounts/not an account id/calls/x y/recordings/z", timeout=30
    )
    _assert_error(response, 401, "authentication-error")


def test_ids_callvault_stores_keep_the_strict_pattern(live_server: LiveServer, wav_file: Path) -> None:
    with live_server.client() as client, wav_file.open("rb") as media:
        response = client.post(
            f"/ingest/accounts/{live_server.account_id}/calls/not a call id/recordings",
            data={"metadata": json.dumps({})},
            files={"media": ("tone.wav", media, "audio/wav")},
        )
        _assert_error(response, 400, "validation")
        assert "callId" in response.json()["description"]
    with live_server.client() as client, wav_file.open("rb") as media:
        response = client.post(
            f"/ingest/accounts/{live_server.account_id}/calls/c-{uuid.uuid4()}/recordings",
            data={"metadata": json.dumps({"recordingId": "../../etc/passwd"})},
            files={"media": ("tone.wav", media, "audio/wav")},
        )
        _assert_error(response, 400, "validation")
