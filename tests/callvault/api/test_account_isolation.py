"""Account isolation on every route, as a user who owns only the other test account.

The session's `tester` owns accounts 9900000 and 9900001; `outsider` owns only 9900001. Every route,
under both prefixes, answers the outsider 403 for 9900000 (the foreign account) even where the ids
name real recordings and calls of it; reached through the outsider's own account id, the foreign
recording or call is 404; lists never include a foreign row. A new route gets one line in ROUTES.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from callvault.api.console.session import CSRF_HEADER
from callvault.calls.media_stream import PCMU_8K
from callvault.cli.simulate import CallsClient, SimulationError
from support.console import csrf_of
from support.errors import assert_error_body
from support.server import LiveServer

FOREIGN = "9900000"
OWN = "9900001"
PREFIXES = ["", "/api/v2"]
RECORDING = "/accounts/{account}/calls/{call}/recordings/{recording}"
CALL = "/accounts/{account}/calls/{call}"


@dataclass(frozen=True)
class Route:
    """One route: its method and path template, and a body that the route would accept."""

    method: str
    path: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    multipart: bool = False
    names_a_resource: bool = True  # False: creates or lists; reached through one's own account it is fine

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


ROUTES = [
    Route("GET", "/accounts/{account}/recordings", names_a_resource=False),
    Route("GET", "/accounts/{account}/calls/{call}/recordings", names_a_resource=False),
    Route("GET", RECORDING),
    Route("DELETE", RECORDING),
    Route("GET", RECORDING + "/media"),
    Route("DELETE", RECORDING + "/media"),
    Route("POST", RECORDING + "/transcription", json={"tag": "isolation"}),
    Route("GET", RECORDING + "/transcription"),
    Route("DELETE", RECORDING + "/transcription"),
    Route(
        "POST",
        "/accounts/{account}/calls",
        json={"from": "+15550001000", "to": "+15550002000", "applicationId": "a-1"},
        names_a_resource=False,
    ),
    Route("GET", CALL),
    Route("POST", CALL, json={"state": "completed"}),
    Route(
        "PUT",
        CALL + "/bxml",
        content=b"<Bxml><StartRecording/></Bxml>",
        headers={"Content-Type": "application/xml"},
    ),
    Route("PUT", CALL + "/recording", json={"state": "paused"}),
    Route(
        "POST", "/ingest/accounts/{account}/calls/{call}/recordings", multipart=True, names_a_resource=False
    ),
    Route("GET", "/accounts/{account}/encryption", names_a_resource=False),
    Route("PUT", "/accounts/{account}/encryption", json={"mode": "server-held"}, names_a_resource=False),
]


@dataclass(frozen=True)
class ForeignData:
    """What the tester made in the foreign account, and one recording in the outsider's own."""

    number: str
    call_id: str
    recording_id: str
    live_call_id: str
    own_recording_id: str
    media: bytes


@pytest.fixture(scope="module")
def outsider(live_server: LiveServer) -> tuple[str, str]:
    name, password = f"outsider-{uuid.uuid4().hex[:8]}", "outsider-password-1"
    live_server.add_user(name, password, [OWN])
    return name, password


@pytest.fixture(scope="module")
def foreign(live_server: LiveServer, wav_file: Path) -> Iterator[ForeignData]:
    number = f"+1333{uuid.uuid4().int % 10**7:07d}"
    call_id = f"c-{uuid.uuid4()}"
    recording_id = live_server.ingest(call_id, wav_file, {"from": number}, account_id=FOREIGN)["recordingId"]
    own_recording_id = live_server.ingest(f"c-{uuid.uuid4()}", wav_file, {"from": number}, account_id=OWN)[
        "recordingId"
    ]
    with CallsClient(live_server.url, live_server.username, live_server.password, FOREIGN) as calls:
        live_call_id = str(calls.create_call("+15551230001", "+15551230002")["callId"])
        yield ForeignData(
            number, call_id, recording_id, live_call_id, own_recording_id, wav_file.read_bytes()
        )
        calls.hang_up(live_call_id)


def _request(
    server: LiveServer,
    auth: tuple[str, str] | httpx.Auth,
    prefix: str,
    route: Route,
    account: str,
    data: ForeignData,
) -> httpx.Response:
    call = data.call_id if "/recordings" in route.path else data.live_call_id  # the recording's call, or live
    path = prefix + route.path.format(account=account, call=call, recording=data.recording_id)
    with httpx.Client(base_url=server.url, auth=auth, timeout=60) as client:
        if route.multipart:
            return client.post(
                path, data={"metadata": json.dumps({})}, files={"media": ("a.wav", data.media)}
            )
        return client.request(
            route.method, path, json=route.json, content=route.content, headers=route.headers
        )


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_a_foreign_account_id_is_403(
    live_server: LiveServer, outsider: tuple[str, str], foreign: ForeignData, prefix: str, route: Route
) -> None:
    response = _request(live_server, outsider, prefix, route, FOREIGN, foreign)

    assert_error_body(response, 403, "authorization-error")


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


@pytest.fixture(scope="module")
def outsider_token(live_server: LiveServer, outsider: tuple[str, str]) -> _Bearer:
    """An OAuth2 access token of the outsider, from the token route (client credentials)."""
    response = httpx.post(
        live_server.url + "/api/v1/oauth2/token",
        auth=outsider,
        data={"grant_type": "client_credentials"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return _Bearer(response.json()["access_token"])


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_a_foreign_account_id_is_403_with_a_bearer_token_too(
    live_server: LiveServer, outsider_token: _Bearer, foreign: ForeignData, route: Route
) -> None:
    response = _request(live_server, outsider_token, "/api/v2", route, FOREIGN, foreign)

    assert_error_body(response, 403, "authorization-error")


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("route", [r for r in ROUTES if r.names_a_resource], ids=lambda r: r.id)
def test_a_foreign_recording_or_call_through_ones_own_account_is_404(
    live_server: LiveServer, outsider: tuple[str, str], foreign: ForeignData, prefix: str, route: Route
) -> None:
    response = _request(live_server, outsider, prefix, route, OWN, foreign)

    assert_error_body(response, 404, "not-found")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_lists_of_ones_own_account_never_hold_foreign_rows(
    live_server: LiveServer, outsider: tuple[str, str], foreign: ForeignData, prefix: str
) -> None:
    with httpx.Client(base_url=live_server.url + prefix, auth=outsider, timeout=60) as client:
        by_number = client.get(f"/accounts/{OWN}/recordings", params={"from": foreign.number})
        everything = client.get(f"/accounts/{OWN}/recordings")
        foreign_call = client.get(f"/accounts/{OWN}/calls/{foreign.call_id}/recordings")

    assert [r["recordingId"] for r in by_number.json()] == [foreign.own_recording_id]
    assert foreign.recording_id not in {r["recordingId"] for r in everything.json()}
    assert all(r["accountId"] == OWN for r in everything.json())
    assert foreign_call.status_code == 200 and foreign_call.json() == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_media_websocket_is_403_for_a_foreign_account_and_404_for_a_foreign_call(
    live_server: LiveServer, outsider: tuple[str, str], foreign: ForeignData, prefix: str
) -> None:
    name, password = outsider
    base = live_server.url + prefix
    with (
        CallsClient(base, name, password, FOREIGN) as across,
        pytest.raises(SimulationError, match="HTTP 403"),
    ):
        across.media_stream(foreign.live_call_id, {"inbound": PCMU_8K}).open()
    with (
        CallsClient(base, name, password, OWN) as own,
        pytest.raises(SimulationError, match="HTTP 404"),
    ):
        own.media_stream(foreign.live_call_id, {"inbound": PCMU_8K}).open()


# ---------------------------------------------------------------------- the console (/ui)

UI_RECORDING = "/ui/accounts/{account}/calls/{call}/recordings/{recording}"
CONSOLE_ROUTES = [
    Route("GET", "/ui?account={account}", names_a_resource=False),
    Route("GET", "/ui/live?account={account}", names_a_resource=False),
    Route("GET", "/ui/live/calls?account={account}", names_a_resource=False),
    Route("GET", UI_RECORDING),
    Route("GET", UI_RECORDING + "/media"),
    Route("GET", UI_RECORDING + "/peaks"),
    Route("POST", UI_RECORDING + "/delete", multipart=True),
    Route("POST", UI_RECORDING + "/transcription", multipart=True),
    Route("POST", "/ui/accounts/{account}/calls/{call}/recording", json={"state": "paused"}),
]


@pytest.fixture(scope="module")
def console(live_server: LiveServer, outsider: tuple[str, str]) -> Iterator[tuple[httpx.Client, str]]:
    """The outsider signed in to the console: a session cookie and its CSRF token."""
    name, password = outsider
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        form = client.get("/ui/login")
        signed_in = client.post(
            "/ui/login", data={"username": name, "password": password, "csrf_token": csrf_of(form.text)}
        )
        assert signed_in.status_code == 303, signed_in.text
        yield client, csrf_of(client.get("/ui").text)


def _console_request(
    console: tuple[httpx.Client, str], route: Route, account: str, data: ForeignData
) -> httpx.Response:
    client, token = console
    call = data.call_id if "/recordings" in route.path else data.live_call_id
    path = route.path.format(account=account, call=call, recording=data.recording_id)
    if route.multipart:
        return client.post(path, data={"csrf_token": token})
    if route.json is not None:
        return client.post(path, json=route.json, headers={CSRF_HEADER: token})
    return client.get(path)


@pytest.mark.parametrize("route", CONSOLE_ROUTES, ids=lambda r: r.id)
def test_the_console_refuses_a_foreign_account(
    console: tuple[httpx.Client, str], foreign: ForeignData, route: Route
) -> None:
    assert _console_request(console, route, FOREIGN, foreign).status_code == 403


@pytest.mark.parametrize("route", [r for r in CONSOLE_ROUTES if r.names_a_resource], ids=lambda r: r.id)
def test_the_console_does_not_find_a_foreign_recording_or_call_through_ones_own_account(
    console: tuple[httpx.Client, str], foreign: ForeignData, route: Route
) -> None:
    assert _console_request(console, route, OWN, foreign).status_code == 404


def test_the_console_lists_only_ones_own_recordings(
    console: tuple[httpx.Client, str], foreign: ForeignData
) -> None:
    client, _token = console
    for params in ({"from": foreign.number}, {"account": OWN, "from": foreign.number}):
        page = client.get("/ui", params=params)
        assert page.status_code == 200
        assert foreign.own_recording_id in page.text
        assert foreign.recording_id not in page.text


# ---------------------------------------------------------------------- roles within an account
#
# One user per role in the foreign account. Each cell of the matrix is one request: a role the route
# allows gets past the check (the ids name nothing, or the body is empty, so it answers 200/400/404 and
# changes nothing); any other role gets 403. The real recording is then read, played and (not) deleted.

ROLES = ("owner", "admin", "member", "auditor", "listener")
EVERYONE = frozenset(ROLES)
HEARERS = frozenset({"owner", "admin", "member", "listener"})
WRITERS = frozenset({"owner", "admin", "member"})
AUDITORS = frozenset({"owner", "auditor"})
OWNERS = frozenset({"owner"})
NOTHING = "r-none-such"
NO_CALL = "c-none-such"
CREDENTIALS = "/accounts/{account}/credentials"

ROLE_MATRIX: list[tuple[Route, frozenset[str]]] = [
    (Route("GET", "/accounts/{account}/recordings"), EVERYONE),
    (Route("GET", "/accounts/{account}/recordings?q=refund"), HEARERS),
    (Route("GET", "/accounts/{account}/calls/{call}/recordings"), EVERYONE),
    (Route("GET", RECORDING), EVERYONE),
    (Route("DELETE", RECORDING), WRITERS),
    (Route("GET", RECORDING + "/media"), HEARERS),
    (Route("GET", RECORDING + "/peaks"), HEARERS),
    (Route("DELETE", RECORDING + "/media"), WRITERS),
    (Route("POST", RECORDING + "/transcription", json={"tag": "roles"}), WRITERS),
    (Route("GET", RECORDING + "/transcription"), HEARERS),
    (Route("DELETE", RECORDING + "/transcription"), WRITERS),
    (Route("POST", "/accounts/{account}/calls", json={}), WRITERS),
    (Route("GET", CALL), EVERYONE),
    (Route("POST", CALL, json={"state": "completed"}), WRITERS),
    (
        Route(
            "PUT",
            CALL + "/bxml",
            content=b"<Bxml><StartRecording/></Bxml>",
            headers={"Content-Type": "application/xml"},
        ),
        WRITERS,
    ),
    (Route("PUT", CALL + "/recording", json={"state": "paused"}), WRITERS),
    (Route("POST", "/ingest/accounts/{account}/calls/{call}/recordings", json={}), WRITERS),
    (Route("GET", "/accounts/{account}/accessLog"), AUDITORS),
    (Route("GET", CREDENTIALS), OWNERS),
    (Route("POST", CREDENTIALS, json={}), OWNERS),
    (Route("DELETE", CREDENTIALS + "/cvc_000000000000000000000000"), OWNERS),
]


@pytest.fixture(scope="module")
def role_users(live_server: LiveServer) -> dict[str, tuple[str, str]]:
    """role -> (name, password) of a user with that role in the foreign account only."""
    users = {}
    for role in ROLES:
        name, password = f"{role}-{uuid.uuid4().hex[:8]}", f"{role}-password-1"
        live_server.add_user(name, password, [f"{FOREIGN}:{role}"])
        users[role] = (name, password)
    return users


def _role_request(server: LiveServer, auth: tuple[str, str], route: Route) -> httpx.Response:
    path = "/api/v2" + route.path.format(account=FOREIGN, call=NO_CALL, recording=NOTHING)
    with httpx.Client(base_url=server.url, auth=auth, timeout=60) as client:
        return client.request(
            route.method, path, json=route.json, content=route.content, headers=route.headers
        )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "allowed"), ROLE_MATRIX, ids=[r.id for r, _ in ROLE_MATRIX])
def test_each_role_may_do_what_the_matrix_says_and_nothing_else(
    live_server: LiveServer,
    role_users: dict[str, tuple[str, str]],
    route: Route,
    allowed: frozenset[str],
    role: str,
) -> None:
    response = _role_request(live_server, role_users[role], route)

    if role in allowed:
        assert response.status_code in (200, 400, 404, 415), response.text
    else:
        body = assert_error_body(response, 403, "authorization-error")
        assert f"role {role}" in body["description"]


def test_a_listener_plays_a_recording_but_cannot_delete_it(
    live_server: LiveServer, role_users: dict[str, tuple[str, str]], foreign: ForeignData
) -> None:
    path = f"/api/v2{RECORDING.format(account=FOREIGN, call=foreign.call_id, recording=foreign.recording_id)}"
    with httpx.Client(base_url=live_server.url, auth=role_users["listener"], timeout=60) as client:
        played = client.get(path + "/media", headers={"Range": "bytes=0-99"})
        deleted = client.delete(path)
        deleted_media = client.delete(path + "/media")
        still_there = client.get(path + "/media")

    assert played.status_code == 206 and played.content == foreign.media[:100]
    assert_error_body(deleted, 403, "authorization-error")
    assert_error_body(deleted_media, 403, "authorization-error")
    assert still_there.status_code == 200 and still_there.content == foreign.media


def test_an_auditor_reads_metadata_but_cannot_download_or_read_the_transcript(
    live_server: LiveServer, role_users: dict[str, tuple[str, str]], foreign: ForeignData
) -> None:
    path = f"/api/v2{RECORDING.format(account=FOREIGN, call=foreign.call_id, recording=foreign.recording_id)}"
    with httpx.Client(base_url=live_server.url, auth=role_users["auditor"], timeout=60) as client:
        metadata = client.get(path)
        media = client.get(path + "/media")
        peaks = client.get(path + "/peaks")
        transcript = client.get(path + "/transcription")

    assert metadata.status_code == 200 and metadata.json()["recordingId"] == foreign.recording_id
    for refused in (media, peaks, transcript):
        assert_error_body(refused, 403, "authorization-error")
    assert media.content != foreign.media


def test_roles_hold_for_the_media_websocket(
    live_server: LiveServer, role_users: dict[str, tuple[str, str]], foreign: ForeignData
) -> None:
    for role in ("auditor", "listener"):
        name, password = role_users[role]
        with (
            CallsClient(live_server.url, name, password, FOREIGN) as calls,
            pytest.raises(SimulationError, match="HTTP 403"),
        ):
            calls.media_stream(foreign.live_call_id, {"inbound": PCMU_8K}).open()


def _signed_in(server: LiveServer, auth: tuple[str, str]) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server.url, timeout=60)
    form = client.get("/ui/login")
    signed_in = client.post(
        "/ui/login", data={"username": auth[0], "password": auth[1], "csrf_token": csrf_of(form.text)}
    )
    assert signed_in.status_code == 303, signed_in.text
    return client, csrf_of(client.get(f"/ui?account={FOREIGN}").text)


def test_the_console_applies_the_same_roles(
    live_server: LiveServer, role_users: dict[str, tuple[str, str]], foreign: ForeignData
) -> None:
    page = UI_RECORDING.format(account=FOREIGN, call=foreign.call_id, recording=foreign.recording_id)
    listener, listener_token = _signed_in(live_server, role_users["listener"])
    auditor, _auditor_token = _signed_in(live_server, role_users["auditor"])
    try:
        listener_page = listener.get(page)
        listener_delete = listener.post(page + "/delete", data={"csrf_token": listener_token})
        auditor_page = auditor.get(page)
        auditor_media = auditor.get(page + "/media")
        auditor_log = auditor.get(f"/ui/access-log?account={FOREIGN}")
        listener_log = listener.get(f"/ui/access-log?account={FOREIGN}")
        listener_media = listener.get(page + "/media")
    finally:
        listener.close()
        auditor.close()

    assert listener_page.status_code == 200 and "Delete recording" not in listener_page.text
    assert listener_delete.status_code == 403
    assert listener_media.status_code == 200 and listener_media.content == foreign.media
    assert auditor_page.status_code == 200 and f"{page}/media" not in auditor_page.text
    assert auditor_media.status_code == 403
    assert auditor_log.status_code == 200 and "Access log" in auditor_log.text
    assert listener_log.status_code == 403
