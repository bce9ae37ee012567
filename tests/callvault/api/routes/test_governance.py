"""API credentials and the access log, end to end: a real server (SQLite + files, or PostgreSQL + S3
with CALLVAULT_TEST_BACKEND=scale), the CLI as an operator runs it, and HTTP as a client sends it.

The server caches verified credentials for 1 s (CALLVAULT_AUTH_CACHE_SECONDS), so a revocation made
by the CLI (another process) reaches it within a second; the tests poll with generous deadlines."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.console import csrf_of
from support.errors import assert_error_body
from support.server import ACCOUNT, LiveServer, ServerFactory

TOKEN_PATH = "/api/v1/oauth2/token"
DEADLINE = 60.0


def _eventually(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {DEADLINE} s: {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    return module_server_factory(
        tmp_path_factory.mktemp("governance"),
        env_overrides={"CALLVAULT_AUTH_CACHE_SECONDS": "1", "CALLVAULT_AUDIT_ANCHOR_SECONDS": "1"},
        extra_users=[("auditor-1", "auditor-password-1", [f"{ACCOUNT}:auditor"])],
    )


def cli(server: LiveServer, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "callvault", *args, "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**server.env, "COLUMNS": "400"},
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _create(server: LiveServer, role: str) -> tuple[str, str]:
    made = cli(
        server, "credentials", "create", "--account", ACCOUNT, "--role", role, "--name", f"test {role}"
    )
    values = dict(line.split("=", 1) for line in made.stdout.split())
    return values["client_id"], values["client_secret"]


@pytest.fixture(scope="module")
def recording(server: LiveServer, wav_file: Path) -> dict[str, Any]:
    return server.ingest(f"c-{uuid.uuid4()}", wav_file)


def _path(recording: dict[str, Any], tail: str = "") -> str:
    return (
        f"/api/v2/accounts/{ACCOUNT}/calls/{recording['callId']}/recordings/{recording['recordingId']}{tail}"
    )


def _token(server: LiveServer, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        server.url + TOKEN_PATH,
        auth=(client_id, secret),
        data={"grant_type": "client_credentials"},
        timeout=60,
    )


def test_a_credential_works_with_basic_and_the_token_route_within_its_role(
    server: LiveServer, recording: dict[str, Any]
) -> None:
    client_id, secret = _create(server, "listener")
    token = _token(server, client_id, secret)
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}

    with httpx.Client(base_url=server.url, timeout=60) as client:
        by_basic = client.get(_path(recording), auth=(client_id, secret))
        by_token = client.get(_path(recording, "/media"), headers=bearer)
        delete = client.delete(_path(recording), auth=(client_id, secret))
        other_account = client.get("/api/v2/accounts/9900001/recordings", headers=bearer)
        wrong_secret = client.get(_path(recording), auth=(client_id, secret + "x"))

    assert by_basic.status_code == 200 and by_basic.json()["recordingId"] == recording["recordingId"]
    assert by_token.status_code == 200 and by_token.content[:4] == b"RIFF"
    assert "listener" in assert_error_body(delete, 403, "authorization-error")["description"]
    assert_error_body(other_account, 403, "authorization-error")
    assert_error_body(wrong_secret, 401, "authentication-error")


def test_a_revoked_secret_gets_401_with_basic_and_with_a_token_issued_before(
    server: LiveServer, recording: dict[str, Any]
) -> None:
    client_id, secret = _create(server, "member")
    bearer = {"Authorization": f"Bearer {_token(server, client_id, secret).json()['access_token']}"}
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert client.get(_path(recording), auth=(client_id, secret)).status_code == 200
        assert client.get(_path(recording), headers=bearer).status_code == 200

        cli(server, "credentials", "revoke", client_id)

        _eventually(
            lambda: client.get(_path(recording), auth=(client_id, secret)).status_code == 401, "Basic"
        )
        _eventually(
            lambda: client.get(_path(recording), headers=bearer).status_code == 401, "the earlier token"
        )
        refused = client.get(_path(recording), headers=bearer)
    assert "revoked" in assert_error_body(refused, 401, "authentication-error")["description"]
    again = _token(server, client_id, secret)
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"
    listed = cli(server, "credentials", "list", "--account", ACCOUNT).stdout
    row = next(line for line in listed.splitlines() if client_id in line)
    assert "member" in row and "never" not in row  # used, then revoked: both times are shown


def test_credentials_bad_input_is_one_clear_line_and_changes_nothing(server: LiveServer) -> None:
    before = cli(server, "credentials", "list").stdout

    unknown_role = cli(server, "credentials", "create", "--account", ACCOUNT, "--role", "god", check=False)
    unknown_credential = cli(server, "credentials", "revoke", "cvc_" + "0" * 24, check=False)
    malformed = cli(server, "credentials", "revoke", "not-a-client-id", check=False)
    bad_user_role = cli(
        server, "users", "role", "auditor-1", "--account", ACCOUNT, "--role", "boss", check=False
    )

    assert (
        unknown_role.returncode == 1 and "Unknown role 'god': use one of owner, admin" in unknown_role.stderr
    )
    assert unknown_credential.returncode == 1 and "No credential cvc_" in unknown_credential.stderr
    assert malformed.returncode == 1 and "Invalid client_id 'not-a-client-id'" in malformed.stderr
    assert bad_user_role.returncode == 1 and "Unknown role 'boss'" in bad_user_role.stderr
    for result in (unknown_role, unknown_credential, malformed, bad_user_role):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert cli(server, "credentials", "list").stdout == before
    assert "auditor-1" in cli(server, "users", "list").stdout


def test_an_owner_manages_credentials_over_the_api(server: LiveServer) -> None:
    client_id, secret = _create(server, "owner")
    base = f"/api/v2/accounts/{ACCOUNT}/credentials"
    with httpx.Client(base_url=server.url, auth=(client_id, secret), timeout=60) as client:
        made = client.post(base, json={"role": "auditor", "name": "siem export"})
        bad_role = client.post(base, json={"role": "superuser"})
        listed = client.get(base)
        revoked = client.delete(f"{base}/{made.json()['clientId']}")
        twice = client.delete(f"{base}/{made.json()['clientId']}")
        malformed = client.delete(f"{base}/x")
    member = httpx.get(server.url + base, auth=server.auth, timeout=60)

    assert (
        made.status_code == 201
        and made.json()["role"] == "auditor"
        and len(made.json()["clientSecret"]) >= 40
    )
    assert "Unknown role 'superuser'" in assert_error_body(bad_role, 400, "validation")["description"]
    entries = {c["clientId"]: c for c in listed.json()}
    assert "clientSecret" not in entries[made.json()["clientId"]]
    assert revoked.status_code == 204
    assert_error_body(twice, 409, "conflict")
    assert_error_body(malformed, 400, "validation")
    assert_error_body(member, 403, "authorization-error")


def _entries(server: LiveServer, **params: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{server.url}/api/v2/accounts/{ACCOUNT}/accessLog",
        params=params,
        auth=("auditor-1", "auditor-password-1"),
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def test_reads_and_changes_of_a_recording_are_in_the_access_log(
    server: LiveServer, fresh_recording: dict[str, Any]
) -> None:
    rec = fresh_recording
    with httpx.Client(base_url=server.url, auth=server.auth, timeout=60) as client:
        client.get(_path(rec))
        client.get(_path(rec, "/media"), headers={"Range": "bytes=10-99"})
        client.get(_path(rec, "/transcription"))
        client.delete(_path(rec))
    httpx.get(server.url + _path(rec), auth=(server.username, "wrong-password"), timeout=60)

    wanted = [
        ("record", "201"),
        ("read", "200"),
        ("download", "206"),
        ("transcript", "404"),
        ("delete", "204"),
    ]
    entries = _eventually(
        lambda: (found := _entries(server, recordingId=rec["recordingId"])) and len(found) >= 5 and found,
        "five entries about the recording",
    )
    assert [(e["action"], e["result"]) for e in entries] == wanted
    assert {e["actor"] for e in entries} == {server.username}
    assert {e["address"] for e in entries} == {"127.0.0.1"}
    assert entries[2]["detail"]["range"] == "bytes=10-99"
    failures = _eventually(
        lambda: [
            e
            for e in json.loads(_export(server))
            if e["action"] == "sign-in-failed" and e["actor"] == server.username
        ],
        "the failed sign-in",
    )
    assert failures[0]["result"] == "401" and failures[0]["address"] == "127.0.0.1"
    by_user = _entries(server, user=server.username, **{"from": entries[0]["time"]})
    assert [e["seq"] for e in by_user][:5] == [e["seq"] for e in entries]


def _export(server: LiveServer) -> str:
    lines = cli(server, "audit", "export").stdout.splitlines()
    return "[" + ",".join(lines) + "]"


@pytest.fixture()
def fresh_recording(server: LiveServer, wav_file: Path) -> dict[str, Any]:
    return server.ingest(f"c-{uuid.uuid4()}", wav_file)


def test_the_access_log_is_for_auditors_and_owners_and_checks_its_input(server: LiveServer) -> None:
    base = f"{server.url}/api/v2/accounts/{ACCOUNT}/accessLog"
    member = httpx.get(base, auth=server.auth, timeout=60)
    bad_time = httpx.get(
        base, params={"from": "yesterday"}, auth=("auditor-1", "auditor-password-1"), timeout=60
    )
    paged = httpx.get(base, params={"limit": "1"}, auth=("auditor-1", "auditor-password-1"), timeout=60)

    assert_error_body(member, 403, "authorization-error")
    assert_error_body(bad_time, 400, "validation")
    assert paged.status_code == 200 and len(paged.json()) == 1 and 'rel="next"' in paged.headers["link"]


def test_the_console_shows_the_access_log_to_an_auditor(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        form = client.get("/ui/login")
        client.post(
            "/ui/login",
            data={
                "username": "auditor-1",
                "password": "auditor-password-1",
                "csrf_token": csrf_of(form.text),
            },
        )
        page = client.get(f"/ui/access-log?account={ACCOUNT}&user={server.username}")
        bad = client.get(f"/ui/access-log?account={ACCOUNT}&from=someday")
    assert page.status_code == 200 and server.username in page.text and "<table" in page.text
    assert bad.status_code == 400 and "someday" in bad.text


def test_audit_verify_passes_then_fails_on_an_edited_entry(
    server: LiveServer, recording: dict[str, Any]
) -> None:
    httpx.get(server.url + _path(recording), auth=server.auth, timeout=60)
    _eventually(lambda: _entries(server, recordingId=recording["recordingId"]), "an entry to edit")
    intact = cli(server, "audit", "verify")
    assert "access log intact" in intact.stdout

    seq = _entries(server, recordingId=recording["recordingId"])[0]["seq"]
    server.db_execute(f"UPDATE access_log SET result = '200 ' WHERE seq = {seq}")
    edited = cli(server, "audit", "verify", check=False)
    server.db_execute(f"UPDATE access_log SET result = '200' WHERE seq = {seq}")

    assert edited.returncode == 1
    assert f"entry {seq} was altered" in edited.stderr and "does not verify" in edited.stderr


def test_a_clean_shutdown_loses_no_entry(
    server_factory: ServerFactory, tmp_path: Path, wav_file: Path
) -> None:
    own = server_factory(tmp_path / "data")
    rec = own.ingest("c-shutdown", wav_file)
    with httpx.Client(base_url=own.url, auth=own.auth, timeout=60) as client:
        for _ in range(200):
            assert client.get(_path(rec)).status_code == 200
    own.stop()  # SIGTERM: the server finishes its requests and closes its services (no SIGKILL needed)

    assert own.process.returncode == -15, own.log()  # uvicorn raises the signal again once it has shut down
    rows = own.db_rows("SELECT count(*) FROM access_log WHERE recording_id = :r", r=rec["recordingId"])
    assert rows == [(201,)]
