"""The web page, health and metrics endpoints."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx

from support.console import csrf_of, signed_in_client
from support.server import LiveServer


def test_healthz(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_metrics_count_requests_by_route(live_server: LiveServer) -> None:
    with live_server.client() as client:
        client.get(f"/api/v2/accounts/{live_server.account_id}/recordings")
        text = httpx.get(f"{live_server.url}/metrics").text
    assert 'route="/accounts/{accountId}/recordings",status="200"' in text
    assert "callvault_http_request_seconds_bucket" in text
    assert "callvault_jobs" in text


def test_console_needs_a_session_then_lists_and_plays_recordings(
    live_server: LiveServer, wav_file: Path
) -> None:
    signed_out = httpx.get(f"{live_server.url}/ui", params={"from": "+1"})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/ui/login?next=%2Fui%3Ffrom%3D%252B1"
    with live_server.client() as basic:  # Basic auth is the API's, not the console's
        assert basic.get("/ui").status_code == 303
    call_id = f"c-{uuid.uuid4()}"
    number = f"+1444{uuid.uuid4().int % 10**7:07d}"
    created = live_server.ingest(call_id, wav_file, {"from": number, "recordingName": "ui <check>"})
    with signed_in_client(live_server) as client:
        page = client.get("/ui", params={"from": number})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert created["recordingId"] in page.text
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
        detail = client.get(
            f"/ui/accounts/{live_server.account_id}/calls/{call_id}/recordings/{created['recordingId']}"
        )
        assert detail.status_code == 200
        assert "ui &lt;check&gt;" in detail.text
        media = (
            f"/ui/accounts/{live_server.account_id}/calls/{call_id}/recordings/{created['recordingId']}/media"
        )
        assert f'src="{media}"' in detail.text
        played = client.get(media, headers={"Range": "bytes=0-3"})
        assert played.status_code == 206 and played.content == b"RIFF"
        forbidden = client.get("/ui", params={"account": "5550000"})
        assert forbidden.status_code == 403 and "5550000" in forbidden.text
        bad_filter = client.get("/ui", params={"minStartTime": "yesterday"})
        assert bad_filter.status_code == 400
        assert 'role="alert"' in bad_filter.text and "minStartTime" in bad_filter.text
        assert "<form" in bad_filter.text  # the page, not raw JSON


def test_console_sign_in_cookie_and_its_end(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as client:
        form = client.get("/ui/login")
        wrong = client.post(
            "/ui/login",
            data={"username": live_server.username, "password": "nope", "csrf_token": csrf_of(form.text)},
        )
        assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
        right = client.post(
            "/ui/login",
            data={
                "username": live_server.username,
                "password": live_server.password,
                "csrf_token": csrf_of(wrong.text),
                "next": "//evil.example/",
            },
        )
        assert right.status_code == 303 and right.headers["location"] == "/ui"
        cookie = right.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # plain HTTP here
        home = client.get("/ui")
        assert home.status_code == 200
        assert client.post("/ui/logout", data={}).status_code == 403  # no CSRF token
        assert client.post("/ui/logout", data={"csrf_token": csrf_of(home.text)}).status_code == 303
        assert client.get("/ui").status_code == 303
    # behind a TLS-terminating proxy (uvicorn trusts X-Forwarded-Proto from 127.0.0.1) the cookie is Secure
    over_tls = httpx.get(f"{live_server.url}/ui/login", headers={"X-Forwarded-Proto": "https"})
    assert "; secure" in over_tls.headers["set-cookie"].lower()


def test_console_assets_are_served_by_callvault(live_server: LiveServer) -> None:
    with signed_in_client(live_server) as client:
        page = client.get("/ui").text
    assets = re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css)[^"]*)"', page)
    assert any("console.css" in a for a in assets) and any("console.js" in a for a in assets)
    assert "http://" not in page.split("<body>")[0] and "https://" not in page
    for asset in assets:
        response = httpx.get(f"{live_server.url}{asset}")
        assert response.status_code == 200 and "immutable" in response.headers["cache-control"]
    favicon = httpx.get(f"{live_server.url}/favicon.ico")
    assert favicon.status_code == 200 and favicon.headers["content-type"].startswith("image/svg+xml")
    assert httpx.get(f"{live_server.url}/ui/static/../templates/base.html").status_code == 404
    assert httpx.get(f"{live_server.url}/ui/static/vendor/vendor.json").status_code == 404
    vendored = httpx.get(f"{live_server.url}/ui/static/vendor/wavesurfer-8.0.1.min.js")
    assert vendored.status_code == 200 and "WaveSurfer" in vendored.text


def test_console_requests_a_transcription_with_language_detection(
    live_server: LiveServer, wav_file: Path
) -> None:
    call_id = f"c-{uuid.uuid4()}"
    created = live_server.ingest(call_id, wav_file, {})
    page = f"/ui/accounts/{live_server.account_id}/calls/{call_id}/recordings/{created['recordingId']}"
    with signed_in_client(live_server) as client:
        form = client.get(page)
        assert "not transcribed" in form.text
        done = client.post(
            f"{page}/transcription", data={"csrf_token": csrf_of(form.text), "detectLanguage": "true"}
        )
        assert done.status_code == 303 and done.headers["location"] == f"{page}?done=transcription"
        after = client.get(done.headers["location"])
        assert "Transcription requested" in after.text and "Transcribe again" in after.text
    [(request,)] = live_server.db_rows(
        "SELECT request FROM transcriptions WHERE recording_id = :r", r=created["recordingId"]
    )
    assert '"detectLanguage": true' in str(request).replace("True", "true").replace("'", '"')
