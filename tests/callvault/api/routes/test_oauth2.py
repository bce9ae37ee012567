"""OAuth2 client credentials against a real server: the token endpoint, Bearer on every API route,
tokens shared by servers on one database, and the tokens that must not work (tampered, expired,
revoked)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from support.server import LiveServer, ServerFactory

TOKEN_PATH = "/api/v1/oauth2/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def request_token(
    server: LiveServer, client_id: str, secret: str, body: str = "grant_type=client_credentials"
) -> httpx.Response:
    return httpx.post(
        server.url + TOKEN_PATH, content=body, headers=FORM, auth=(client_id, secret), timeout=30
    )


def token_for(server: LiveServer, client_id: str | None = None, secret: str | None = None) -> str:
    response = request_token(server, client_id or server.username, secret or server.password)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def list_with_bearer(server: LiveServer, token: str, prefix: str = "/api/v2") -> httpx.Response:
    return httpx.get(
        f"{server.url}{prefix}/accounts/{server.account_id}/recordings",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def signing_key(server: LiveServer) -> str:
    rows = server.db_rows("SELECT value FROM system_settings WHERE name = 'oauth2_token_signing_key'")
    assert rows, "no signing key stored after a token was issued"
    return str(rows[0][0])


def test_client_credentials_grant_answers_like_bandwidth(live_server: LiveServer) -> None:
    response = request_token(live_server, live_server.username, live_server.password)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert response.headers["cache-control"] == "no-store"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == live_server.username
    assert claims["exp"] - claims["iat"] == 3600


@pytest.mark.parametrize("prefix", ["/api/v2", ""])
def test_bearer_token_works_on_api_routes(live_server: LiveServer, prefix: str) -> None:
    token = token_for(live_server)

    assert list_with_bearer(live_server, token, prefix).status_code == 200
    other_account = httpx.get(
        f"{live_server.url}{prefix}/accounts/1234567/recordings",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert other_account.status_code == 403
    assert other_account.json()["type"] == "authorization-error"


@pytest.mark.parametrize(
    ("auth", "body", "headers", "status", "error"),
    [
        ("wrong", "grant_type=client_credentials", FORM, 401, "invalid_client"),
        (None, "grant_type=client_credentials", FORM, 401, "invalid_client"),
        ("ok", "grant_type=password&username=a&password=b", FORM, 400, "unsupported_grant_type"),
        ("ok", "scope=voice", FORM, 400, "invalid_request"),
        (
            "ok",
            '{"grant_type": "client_credentials"}',
            {"Content-Type": "application/json"},
            400,
            "invalid_request",
        ),
        ("ok", "grant_type=client_credentials&grant_type=client_credentials", FORM, 400, "invalid_request"),
    ],
)
def test_token_errors_follow_rfc_6749(
    live_server: LiveServer, auth: str | None, body: str, headers: dict[str, str], status: int, error: str
) -> None:
    credentials = {
        "ok": (live_server.username, live_server.password),
        "wrong": (live_server.username, live_server.password + "-wrong"),
        None: None,
    }[auth]
    response = httpx.post(
        live_server.url + TOKEN_PATH, content=body, headers=headers, auth=credentials, timeout=30
    )

    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["error_description"]
    assert response.headers["cache-control"] == "no-store"
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")


def test_client_credentials_may_come_as_form_fields(live_server: LiveServer) -> None:
    body = (
        f"grant_type=client_credentials&client_id={live_server.username}&client_secret={live_server.password}"
    )
    response = httpx.post(live_server.url + TOKEN_PATH, content=body, headers=FORM, timeout=30)

    assert response.status_code == 200, response.text
    assert list_with_bearer(live_server, response.json()["access_token"]).status_code == 200


def _tampered(token: str) -> list[str]:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    unsigned = jwt.encode({**claims, "sub": "tester"}, key=None, algorithm="none")
    return [
        f"{header}.{forged_payload}.{signature}",
        f"{header}.{payload}.{flipped}",
        jwt.encode(claims | {"sub": "tester"}, "a key that is not the server's key, 32+ bytes", "HS256"),
        unsigned,
        "not-a-token",
    ]


def test_tampered_tokens_are_401(live_server: LiveServer) -> None:
    token = token_for(live_server)
    for bad in _tampered(token):
        response = list_with_bearer(live_server, bad)
        assert response.status_code == 401, (bad, response.text)
        assert response.json()["type"] == "authentication-error"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_expired_token_is_401(live_server: LiveServer) -> None:
    valid = token_for(live_server)
    claims = jwt.decode(valid, options={"verify_signature": False})
    expired = jwt.encode(
        claims | {"iat": claims["iat"] - 7200, "exp": int(time.time()) - 1}, signing_key(live_server), "HS256"
    )

    response = list_with_bearer(live_server, expired)

    assert response.status_code == 401
    assert "expired" in response.json()["description"]
    assert list_with_bearer(live_server, valid).status_code == 200


def test_servers_on_one_database_accept_each_others_tokens(
    live_server: LiveServer, server_factory: ServerFactory, tmp_path: Path
) -> None:
    token = token_for(live_server)
    second = server_factory(
        tmp_path / "second",
        env_overrides={
            "CALLVAULT_DATABASE_URL": live_server.database_url,
            "CALLVAULT_MEDIA_URL": live_server.media_url,
            "CALLVAULT_MASTER_KEY_FILE": str(live_server.data_dir / "master.key"),  # one key per database
        },
    )

    assert list_with_bearer(second, token).status_code == 200
    assert list_with_bearer(live_server, token_for(second)).status_code == 200


def _cli(server: LiveServer, *args: str) -> None:
    command = [sys.executable, "-m", "callvault", "users", *args, "--data-dir", str(server.data_dir)]
    result = subprocess.run(command, env=server.env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def _wait_until_refused(server: LiveServer, token: str, timeout: float = 10.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = list_with_bearer(server, token)
        if response.status_code != 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


@pytest.fixture(scope="module")
def short_cache_server(module_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return module_server_factory(
        tmp_path_factory.mktemp("short-cache"),
        env_overrides={"CALLVAULT_AUTH_CACHE_SECONDS": "1"},
        extra_users=[
            ("rotating", "first-password-1", ["9900000"]),
            ("leaving", "leaving-password-1", ["9900000"]),
        ],
    )


def test_token_stops_working_when_password_changes(short_cache_server: LiveServer) -> None:
    token = token_for(short_cache_server, "rotating", "first-password-1")
    assert list_with_bearer(short_cache_server, token).status_code == 200

    _cli(short_cache_server, "passwd", "rotating", "--password", "second-password-2")

    refused = _wait_until_refused(short_cache_server, token)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["description"]
    fresh = token_for(short_cache_server, "rotating", "second-password-2")
    assert list_with_bearer(short_cache_server, fresh).status_code == 200


def test_token_stops_working_when_user_is_removed(short_cache_server: LiveServer) -> None:
    token = token_for(short_cache_server, "leaving", "leaving-password-1")
    assert list_with_bearer(short_cache_server, token).status_code == 200

    _cli(short_cache_server, "remove", "leaving")

    assert _wait_until_refused(short_cache_server, token).status_code == 401
    assert request_token(short_cache_server, "leaving", "leaving-password-1").status_code == 401


def test_bandwidth_client_with_client_credentials(live_server: LiveServer) -> None:
    import bandwidth

    configuration = bandwidth.Configuration(
        host=live_server.url + "/api/v2",
        client_id=live_server.username,
        client_secret=live_server.password,
        access_token_url=live_server.url + TOKEN_PATH,
    )
    with bandwidth.ApiClient(configuration) as api_client:
        api = bandwidth.RecordingsApi(api_client)
        assert isinstance(api.list_account_call_recordings(live_server.account_id), list)
        with pytest.raises(bandwidth.ApiException) as refused:
            api.list_account_call_recordings("not an account id")
        assert refused.value.status == 403
    assert configuration.temp_access_token is not None
    assert jwt.decode(configuration.temp_access_token, options={"verify_signature": False})["sub"] == "tester"
