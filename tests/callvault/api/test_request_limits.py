"""Bad input costs little and gets a clear answer: body caps, nesting, extreme dates, ranges,
Content-Type texts and refused WebSocket handshakes, over raw HTTP against real servers."""

from __future__ import annotations

import base64
import json
import select
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from support.console import signed_in_client
from support.errors import assert_error_body
from support.server import LiveServer, ServerFactory

DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def small_server(
    module_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    server = module_server_factory(
        tmp_path_factory.mktemp("small-limits"), env_overrides={"CALLVAULT_MAX_UPLOAD": "1MB"}
    )
    yield server
    server.stop()


def _basic(server: LiveServer) -> str:
    return "Basic " + base64.b64encode(f"{server.username}:{server.password}".encode()).decode()


def _request_head(server: LiveServer, method: str, path: str, headers: dict[str, str]) -> bytes:
    """An HTTP/1.1 request's head with the server's credentials and ``headers``."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {_basic(server)}\r\n"
    return (head + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()


def _media_part_head(boundary: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="media"; filename="a.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()


def _bytes_sent_before_answer(
    server: LiveServer,
    path: str,
    headers: dict[str, str],
    total: int,
    prefix: bytes = b"",
    method: str = "POST",
) -> tuple[int, bytes]:
    """Send a chunked body of `total` bytes; stop as soon as the server answers or hangs up.
    Returns how many body bytes went out and the start of the answer."""
    port = int(server.url.rsplit(":", 1)[1])
    head = _request_head(server, method, path, {**headers, "Transfer-Encoding": "chunked"})
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + (b"%x\r\n" % len(prefix) + prefix + b"\r\n" if prefix else b""))
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            except OSError:
                break
            sent += len(chunk)
        sock.settimeout(30)
        try:
            answer = sock.recv(4096)
        except OSError:
            answer = b""
    return sent, answer


def test_a_chunked_upload_stops_at_the_limit_with_413(small_server: LiveServer) -> None:
    boundary = "b0undary"
    sent, answer = _bytes_sent_before_answer(
        small_server,
        f"/ingest/accounts/{small_server.account_id}/calls/c-chunked/recordings",
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        total=256 * 1024 * 1024,
        prefix=_media_part_head(boundary),
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 32 * 1024 * 1024, f"{sent} bytes went out before the 413"
    assert small_server.blob_count() == 0


def test_a_json_or_bxml_body_is_capped_while_it_arrives(small_server: LiveServer) -> None:
    account = small_server.account_id
    for method, path, content_type in (
        ("POST", f"/api/v2/accounts/{account}/calls", "application/json"),
        ("PUT", f"/api/v2/accounts/{account}/calls/c-any/bxml", "application/xml"),
    ):
        sent, answer = _bytes_sent_before_answer(
            small_server, path, {"Content-Type": content_type}, total=256 * 1024 * 1024, method=method
        )
        assert answer.startswith(b"HTTP/1.1 413"), (path, answer[:200])
        assert sent < 32 * 1024 * 1024, f"{path}: {sent} bytes went out before the 413"


def test_a_declared_oversized_body_is_refused_before_it_is_read(small_server: LiveServer) -> None:
    with small_server.client() as client:
        response = client.post(
            f"/api/v2/accounts/{small_server.account_id}/calls",
            content=json.dumps(
                {"from": "+1555", "to": "+1555", "applicationId": "a", "tag": "x" * 4_000_000}
            ),
            headers={"Content-Type": "application/json"},
        )
    body = assert_error_body(response, 413, "validation")
    assert "limit" in body["description"]


def test_deeply_nested_json_is_400_on_json_routes_and_in_ingest_metadata(
    live_server: LiveServer, wav_file: Path
) -> None:
    account = live_server.account_id
    with live_server.client() as client:
        for method, path in (
            ("POST", f"/api/v2/accounts/{account}/calls"),
            ("POST", f"/api/v2/accounts/{account}/calls/c-any"),
            ("PUT", f"/api/v2/accounts/{account}/calls/c-any/recording"),
            ("POST", f"/api/v2/accounts/{account}/calls/c-any/recordings/r-any/transcription"),
        ):
            response = client.request(
                method, path, content=DEEP_JSON, headers={"Content-Type": "application/json"}
            )
            body = assert_error_body(response, 400, "validation")
            assert "nested" in body["description"], (path, body)
        response = client.post(
            f"/ingest/accounts/{account}/calls/c-deep/recordings",
            data={"metadata": DEEP_JSON},
            files={"media": ("a.wav", wav_file.read_bytes(), "audio/wav")},
        )
    body = assert_error_body(response, 400, "validation")
    assert "metadata" in body["description"] and "nested" in body["description"]


def test_deeply_nested_json_on_the_media_websocket_closes_1007_and_is_logged(live_server: LiveServer) -> None:
    ws_url = live_server.url.replace("http://", "ws://")
    account = live_server.account_id
    with live_server.client() as client:
        created = client.post(
            f"/api/v2/accounts/{account}/calls",
            json={"from": "+15551230001", "to": "+15551230002", "applicationId": "app-1"},
        )
        assert created.status_code == 201, created.text
        call_id = created.json()["callId"]
    with connect(
        f"{ws_url}/ingest/accounts/{account}/calls/{call_id}/media",
        additional_headers={"Authorization": _basic(live_server)},
        max_size=None,
    ) as ws:
        ws.send(DEEP_JSON)
        with pytest.raises(Exception):  # noqa: B017 (the server closes; any close is read as an error)
            ws.recv(timeout=10)
        assert ws.close_code == 1007
        assert ws.close_reason and "nested" in ws.close_reason
    deadline = time.monotonic() + 5
    while "nested" not in live_server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"media stream of {call_id} refused a message" in live_server.log()


@pytest.mark.parametrize("start_time", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00"])
def test_extreme_dates_are_400_naming_the_field(
    live_server: LiveServer, wav_file: Path, start_time: str
) -> None:
    account = live_server.account_id
    with live_server.client() as client:
        response = client.post(
            f"/ingest/accounts/{account}/calls/c-{uuid.uuid4()}/recordings",
            data={"metadata": json.dumps({"startTime": start_time})},
            files={"media": ("a.wav", wav_file.read_bytes(), "audio/wav")},
        )
        assert "startTime" in assert_error_body(response, 400, "validation")["description"]
        for field in ("minStartTime", "maxStartTime"):
            response = client.get(f"/api/v2/accounts/{account}/recordings", params={field: start_time})
            assert field in assert_error_body(response, 400, "validation")["description"]
    with signed_in_client(live_server) as console:
        for field in ("minStartTime", "maxStartTime"):
            page = console.get("/ui", params={"account": account, field: start_time})
            assert page.status_code == 400 and field in page.text  # shown beside the form


def test_ranges_follow_rfc_9110(live_server: LiveServer, wav_file: Path) -> None:
    call_id = f"c-{uuid.uuid4()}"
    recording_id = live_server.ingest(call_id, wav_file, {})["recordingId"]
    data = wav_file.read_bytes()
    path = f"/api/v2/accounts/{live_server.account_id}/calls/{call_id}/recordings/{recording_id}/media"
    with live_server.client() as client:
        invalid = client.get(path, headers={"Range": "bytes=5-2"})
        assert (invalid.status_code, invalid.content) == (200, data)
        empty_suffix = client.get(path, headers={"Range": "bytes=-0"})
        assert_error_body(empty_suffix, 416, "validation")
        assert empty_suffix.headers["content-range"] == f"bytes */{len(data)}"
        past_any_media = client.get(path, headers={"Range": "bytes=" + "9" * 5000 + "-"})
        assert_error_body(past_any_media, 416, "validation")  # not a 500 from a 5,000-digit int
        for several in ("bytes=0-1,5-6", "bytes=5-2,0-3", "bytes=-0,0-3", "bytes=0-3,"):
            response = client.get(path, headers={"Range": several})
            assert (response.status_code, response.content) == (200, data), several


def test_missing_content_type_is_named_not_printed_as_a_python_value(live_server: LiveServer) -> None:
    account = live_server.account_id
    with live_server.client() as client:
        for path, method in (
            (f"/api/v2/accounts/{account}/calls", "POST"),
            (f"/api/v2/accounts/{account}/calls/c-any/bxml", "PUT"),
            (f"/ingest/accounts/{account}/calls/c-any/recordings", "POST"),
        ):
            response = client.request(method, path, content=b"{}")
            description = assert_error_body(response, 415, "unsupported-media-type")["description"]
            assert "None" not in description and "''" not in description, description
            assert description.startswith("Missing Content-Type"), description


@pytest.mark.parametrize("implementation", ["websockets-sansio", "wsproto"])
def test_a_refused_websocket_handshake_logs_one_clean_line(
    server_factory: ServerFactory, tmp_path: Path, implementation: str
) -> None:
    server = server_factory(
        tmp_path / "data",
        env_overrides={"CALLVAULT_LOG_LEVEL": "info", "CALLVAULT_WEBSOCKET_IMPLEMENTATION": implementation},
    )
    ws_url = server.url.replace("http://", "ws://")
    marker = f"c-refused-{uuid.uuid4().hex[:8]}"
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{ws_url}/ingest/accounts/{server.account_id}/calls/{marker}/media").close()
    assert refused.value.response.status_code == 401
    time.sleep(0.5)
    server.stop()
    log = server.log()
    assert "without completing handshake" not in log
    lines = [line for line in log.splitlines() if marker in line]
    assert len(lines) == 1, lines
    assert "401" in lines[0]


def test_an_upload_cut_off_by_its_client_logs_one_warning_and_keeps_nothing(
    server_factory: ServerFactory, tmp_path: Path, wav_file: Path
) -> None:
    server = server_factory(tmp_path / "data", env_overrides={"CALLVAULT_LOG_LEVEL": "info"})
    marker = f"c-cut-{uuid.uuid4().hex[:8]}"
    boundary = "b0undary"
    part_head = _media_part_head(boundary)
    request = _request_head(
        server,
        "POST",
        f"/ingest/accounts/{server.account_id}/calls/{marker}/recordings",
        {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(part_head) + 64 * 1024 * 1024),
        },
    )
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request + part_head + wav_file.read_bytes() + b"\0" * (4 * 1024 * 1024))
    deadline = time.monotonic() + 60
    while marker not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    with server.client() as client:
        assert client.get("/healthz").status_code == 200
    server.stop()
    log = server.log()
    lines = [line for line in log.splitlines() if marker in line]
    assert lines and all("WARNING" in line and "went away" in line for line in lines), lines
    assert "Traceback" not in log and "unexpected error" not in log
    assert server.blob_count() == 0
    assert not list((tmp_path / "data").rglob("*.tmp*"))


def test_error_texts_need_no_python_to_read(live_server: LiveServer) -> None:
    with live_server.client() as client:
        response = client.post(
            f"/api/v2/accounts/{live_server.account_id}/calls",
            content=b"{}",
            headers={"Content-Type": "text/plain"},
        )
    description = assert_error_body(response, 415, "unsupported-media-type")["description"]
    assert "text/plain" in description and "'" not in description
    assert httpx.get(f"{live_server.url}/healthz").status_code == 200
