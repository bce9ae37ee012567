"""The console's security headers: on every page, its media and feeds, its errors and its sign-in page;
no-store wherever a signed-in user's data goes out; the hashed assets stay cacheable; the API's own
answers are left as they were."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from support.console import signed_in_client
from support.server import LiveServer


def _assert_console_headers(response: httpx.Response, *, cacheable: bool = False) -> None:
    where = f"{response.request.method} {response.request.url.path}"
    policy = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, where
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, where
    assert "default-src 'none'" in policy, where
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") == "same-origin", where
    if cacheable:
        assert response.headers["cache-control"].startswith("public"), where
    else:
        assert response.headers.get("cache-control") == "no-store", where


def test_console_pages_media_and_errors_carry_the_security_headers(
    live_server: LiveServer, wav_file: Path
) -> None:
    call_id = f"c-{uuid.uuid4()}"
    recording_id = live_server.ingest(call_id, wav_file, {})["recordingId"]
    page = f"/ui/accounts/{live_server.account_id}/calls/{call_id}/recordings/{recording_id}"
    _assert_console_headers(httpx.get(f"{live_server.url}/ui/login"))
    _assert_console_headers(httpx.get(f"{live_server.url}{page}/media"))  # 401 JSON, signed out
    with signed_in_client(live_server) as client:
        for path in (
            "/ui",
            page,
            f"{page}/media",
            f"{page}/peaks",
            "/ui/live",
            "/ui/live/calls",
            "/ui/nowhere",
        ):
            _assert_console_headers(client.get(path))
        _assert_console_headers(client.get(f"{page}/media", headers={"Range": "bytes=0-3"}))
        shown = client.get(page)
        nonce = shown.text.split('nonce="')[1].split('"')[0]
        assert f"'nonce-{nonce}'" in shown.headers["content-security-policy"]
        assert f"'nonce-{nonce}'" not in client.get(page).headers["content-security-policy"]  # new each time
    html = shown.text
    assert "<script>" not in html and " style=" not in html and " onclick=" not in html
    for asset in ("/ui/static/console.css", "/ui/static/vendor/wavesurfer-8.0.1.min.js", "/favicon.ico"):
        _assert_console_headers(httpx.get(f"{live_server.url}{asset}"), cacheable=True)


def test_the_api_is_not_given_the_consoles_headers(live_server: LiveServer) -> None:
    with live_server.client() as client:
        listed = client.get(f"/api/v2/accounts/{live_server.account_id}/recordings")
    assert listed.status_code == 200
    assert "content-security-policy" not in listed.headers
