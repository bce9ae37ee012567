"""The hottest read, answered without FastAPI's router (api/direct_routes.py), answers as the routed
app would: the same body under both prefixes, the same errors, the same metrics label."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from support.errors import assert_error_body
from support.server import LiveServer

TEMPLATE = "/accounts/{accountId}/calls/{callId}/recordings/{recordingId}"


def _requests_by_route(server: LiveServer) -> dict[tuple[str, str, str], float]:
    text = httpx.get(f"{server.url}/metrics", auth=server.auth, timeout=60).text
    return {
        (sample.labels["method"], sample.labels["route"], sample.labels["status"]): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "callvault_http_requests"
        for sample in family.samples
        if sample.name == "callvault_http_requests_total"
    }


def test_a_recording_read_answers_as_the_router_would(live_server: LiveServer, wav_file: Path) -> None:
    server = live_server
    call_id = f"c-{uuid.uuid4()}"
    created = server.ingest(call_id, wav_file, {})
    path = f"/accounts/{server.account_id}/calls/{call_id}/recordings/{created['recordingId']}"
    before = _requests_by_route(server)
    with server.client() as client:
        prefixed = client.get("/api/v2" + path)
        unprefixed = client.get(path)
        listed = client.get(f"/api/v2/accounts/{server.account_id}/calls/{call_id}/recordings")
        missing = client.get(f"/api/v2/accounts/{server.account_id}/calls/{call_id}/recordings/r-none")
        head = client.head("/api/v2" + path)
    wrong_password = httpx.get(f"{server.url}/api/v2{path}", auth=(server.username, "not-it"), timeout=60)
    after = _requests_by_route(server)

    assert prefixed.status_code == 200 and prefixed.headers["content-type"] == "application/json"
    assert prefixed.json() == listed.json()[0]
    assert prefixed.json()["mediaUrl"].startswith(f"{server.url}/api/v2/accounts/")
    assert unprefixed.json() == {
        **prefixed.json(),
        "mediaUrl": prefixed.json()["mediaUrl"].replace("/api/v2", ""),
    }
    assert "r-none" in assert_error_body(missing, 404, "not-found")["description"]
    assert_error_body(wrong_password, 401, "authentication-error")
    assert wrong_password.headers["www-authenticate"].startswith("Basic")
    assert head.status_code == 405  # HEAD goes on to the router, which serves this path for GET only

    def counted(route: str, status: str) -> float:
        key = ("GET", route, status)
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert counted("/api/v2" + TEMPLATE, "200") == 1
    assert counted(TEMPLATE, "200") == 1
    assert counted("/api/v2" + TEMPLATE, "404") == 1
    assert counted("/api/v2" + TEMPLATE, "401") == 1
