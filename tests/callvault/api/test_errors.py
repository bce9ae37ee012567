"""Every error status of the API, produced over raw HTTP against real servers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.errors import assert_error_body
from support.server import LiveServer, ServerFactory


@pytest.fixture(scope="module")
def recording(live_server: LiveServer, wav_file: Path) -> tuple[str, str]:
    call_id = f"c-{uuid.uuid4()}"
    return call_id, live_server.ingest(call_id, wav_file, {})["recordingId"]


def _path(server: LiveServer, call_id: str, recording_id: str, suffix: str = "") -> str:
    return f"/api/v2/accounts/{server.account_id}/calls/{call_id}/recordings/{recording_id}{suffix}"


def test_401_without_or_with_bad_credentials(live_server: LiveServer) -> None:
    url = f"{live_server.url}/api/v2/accounts/{live_server.account_id}/recordings"
    for auth in (None, ("tester", "wrong-password"), ("nobody", "whatever-pass")):
        response = httpx.get(url, auth=auth)
        assert_error_body(response, 401, "authentication-error")
        assert response.headers["www-authenticate"].startswith("Basic")
    response = httpx.get(url, headers={"Authorization": "Basic !!!notbase64"})
    assert_error_body(response, 401, "authentication-error")


def test_403_for_an_account_the_user_lacks(live_server: LiveServer) -> None:
    with live_server.client() as client:
        assert_error_body(client.get("/api/v2/accounts/5550000/recordings"), 403, "authorization-error")


def test_404_unknown_recording_and_unknown_path(live_server: LiveServer, recording: tuple[str, str]) -> None:
    call_id, _ = recording
    with live_server.client() as client:
        body = assert_error_body(client.get(_path(live_server, call_id, "r-missing")), 404, "not-found")
        assert "r-missing" in body["description"]
        assert_error_body(client.get("/api/v2/no/such/thing"), 404, "not-found")


RECORDING = "/accounts/{account}/calls/{call}/recordings/{recording}"
LIVE_CALL = "/accounts/{account}/calls/{live_call}"
ALLOWED_METHODS = [
    ("/accounts/{account}/recordings", {"GET"}),
    ("/accounts/{account}/calls/{call}/recordings", {"GET"}),
    (RECORDING, {"GET", "DELETE"}),
    (RECORDING + "/media", {"GET", "DELETE"}),
    (RECORDING + "/transcription", {"GET", "POST", "DELETE"}),
    ("/accounts/{account}/calls", {"GET", "POST"}),
    (LIVE_CALL, {"GET", "POST"}),
    (LIVE_CALL + "/bxml", {"PUT"}),
    (LIVE_CALL + "/recording", {"PUT"}),
    ("/ingest/accounts/{account}/calls/{call}/recordings", {"POST"}),
]
NOT_UNDER_A_PREFIX = [("/ui", {"GET"}), ("/", {"GET"}), ("/healthz", {"GET"}), ("/metrics", {"GET"})]


@pytest.fixture(scope="module")
def live_call(live_server: LiveServer) -> str:
    with live_server.client() as client:
        response = client.post(
            f"/accounts/{live_server.account_id}/calls",
            json={"from": "+15550003000", "to": "+15550004000", "applicationId": "a-405"},
        )
    assert response.status_code == 201, response.text
    return str(response.json()["callId"])


def _allowed(response: httpx.Response) -> set[str]:
    assert_error_body(response, 405, "method-not-allowed")
    return {method.strip() for method in response.headers["allow"].split(",")}


@pytest.mark.parametrize("prefix", ["", "/api/v2"])
@pytest.mark.parametrize(("template", "allowed"), ALLOWED_METHODS, ids=[t for t, _ in ALLOWED_METHODS])
def test_405_names_exactly_the_allowed_methods(
    live_server: LiveServer,
    recording: tuple[str, str],
    live_call: str,
    prefix: str,
    template: str,
    allowed: set[str],
) -> None:
    call_id, recording_id = recording
    path = prefix + template.format(
        account=live_server.account_id, call=call_id, recording=recording_id, live_call=live_call
    )
    with live_server.client() as client:
        assert _allowed(client.patch(path)) == allowed
        for method in {"GET", "POST", "PUT", "DELETE"} - allowed:
            assert _allowed(client.request(method, path)) == allowed, method


@pytest.mark.parametrize(("path", "allowed"), NOT_UNDER_A_PREFIX)
def test_405_on_the_console_health_and_metrics(live_server: LiveServer, path: str, allowed: set[str]) -> None:
    with live_server.client() as client:
        assert _allowed(client.patch(path)) == allowed


def test_415_for_a_non_json_body(live_server: LiveServer, recording: tuple[str, str]) -> None:
    call_id, recording_id = recording
    with live_server.client() as client:
        response = client.post(
            _path(live_server, call_id, recording_id, "/transcription"),
            content=b"callbackUrl=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert_error_body(response, 415, "unsupported-media-type")


def test_400_malformed_json_and_invalid_field(live_server: LiveServer, recording: tuple[str, str]) -> None:
    call_id, recording_id = recording
    path = _path(live_server, call_id, recording_id, "/transcription")
    headers = {"Content-Type": "application/json"}
    with live_server.client() as client:
        body = assert_error_body(client.post(path, content=b"{not json", headers=headers), 400, "validation")
        assert "JSON" in body["description"]
        body = assert_error_body(
            client.post(path, content=json.dumps({"callbackTimeout": 99}), headers=headers), 400, "validation"
        )
        assert "callbackTimeout" in body["description"]
        body = assert_error_body(
            client.post(path, content=json.dumps({"callbackMethod": "PUT"}), headers=headers),
            400,
            "validation",
        )
        assert "callbackMethod" in body["description"]
        body = assert_error_body(
            client.put(
                f"/api/v2/accounts/{live_server.account_id}/calls/{call_id}/recording",
                content=json.dumps({"state": "stopped"}),
                headers=headers,
            ),
            400,
            "validation",
        )
        assert "state" in body["description"]


def test_put_recording_on_unknown_call_is_404(live_server: LiveServer) -> None:
    with live_server.client() as client:
        response = client.put(
            f"/api/v2/accounts/{live_server.account_id}/calls/c-unknown/recording", json={"state": "paused"}
        )
    assert_error_body(response, 404, "not-found")


def test_range_requests(live_server: LiveServer, recording: tuple[str, str], wav_file: Path) -> None:
    call_id, recording_id = recording
    data = wav_file.read_bytes()
    path = _path(live_server, call_id, recording_id, "/media")
    with live_server.client() as client:
        full = client.get(path)
        assert full.status_code == 200
        assert full.content == data
        assert full.headers["content-length"] == str(len(data))
        assert full.headers["accept-ranges"] == "bytes"
        etag = full.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2
        assert client.get(path).headers["etag"] == etag
        part = client.get(path, headers={"Range": "bytes=10-19"})
        assert part.status_code == 206
        assert part.content == data[10:20]
        assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
        assert part.headers["content-length"] == "10"
        assert part.headers["etag"] == etag
        tail = client.get(path, headers={"Range": "bytes=-5"})
        assert tail.status_code == 206 and tail.content == data[-5:]
        assert tail.headers["content-range"] == f"bytes {len(data) - 5}-{len(data) - 1}/{len(data)}"
        past_the_end = client.get(path, headers={"Range": f"bytes=100-{len(data) + 5000}"})
        assert past_the_end.status_code == 206
        assert past_the_end.content == data[100:]
        assert past_the_end.headers["content-range"] == f"bytes 100-{len(data) - 1}/{len(data)}"
        assert past_the_end.headers["content-length"] == str(len(data) - 100)
        response = client.get(path, headers={"Range": f"bytes={len(data) + 10}-"})
        assert response.status_code == 416
        assert response.headers["content-range"] == f"bytes */{len(data)}"


@pytest.fixture()
def strict_server(server_factory: ServerFactory, tmp_path: Path) -> Iterator[LiveServer]:
    server = server_factory(
        tmp_path / "data",
        env_overrides={"CALLVAULT_RATE_LIMIT": "5/second", "CALLVAULT_MAX_UPLOAD": "20000"},
    )
    yield server
    server.stop()


def test_413_over_max_upload(strict_server: LiveServer, wav_file: Path) -> None:
    with strict_server.client() as client:
        response = client.post(
            f"/ingest/accounts/{strict_server.account_id}/calls/c-big/recordings",
            files={"media": ("a.wav", wav_file.read_bytes(), "audio/wav")},
        )
    assert_error_body(response, 413, "validation")
    assert strict_server.blob_count() == 0


def test_429_with_retry_after(strict_server: LiveServer) -> None:
    statuses = []
    with strict_server.client() as client:
        for _ in range(12):
            response = client.get(f"/api/v2/accounts/{strict_server.account_id}/recordings")
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert_error_body(response, 429, "error")
                assert int(response.headers["retry-after"]) >= 1
                break
    assert 429 in statuses
    assert statuses[0] == 200


def test_500_without_traceback(strict_server: LiveServer) -> None:
    strict_server.db_execute("DROP TABLE recordings")
    with strict_server.client() as client:
        response = client.get(f"/api/v2/accounts/{strict_server.account_id}/recordings")
    assert_error_body(response, 500, "internal-error")
