"""The web page, health and metrics endpoints."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

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


def test_ui_lists_and_plays_recordings(live_server: LiveServer, wav_file: Path) -> None:
    assert httpx.get(f"{live_server.url}/ui").status_code == 401
    call_id = f"c-{uuid.uuid4()}"
    number = f"+1444{uuid.uuid4().int % 10**7:07d}"
    created = live_server.ingest(call_id, wav_file, {"from": number, "recordingName": "ui <check>"})
    with live_server.client() as client:
        page = client.get("/ui", params={"from": number})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert created["recordingId"] in page.text
    assert f'/calls/{call_id}/recordings/{created["recordingId"]}/media"' in page.text
    assert "<audio" in page.text
    with live_server.client() as client:
        forbidden = client.get("/ui", params={"account": "5550000"})
    assert forbidden.status_code == 403
