"""Configuration: defaults, copies, and the authentication it puts on requests."""

from __future__ import annotations

import base64
import copy
import logging
from collections.abc import Callable

import bandwidth
from support.canned_http import CannedResponse, CannedServer

RECORDINGS_PATH = "/accounts/9900000/calls/c-1/recordings"
MakeApi = Callable[..., bandwidth.RecordingsApi]


def test_defaults_match_the_official_sdk_except_the_opt_in_extras() -> None:
    config = bandwidth.Configuration()

    assert config.host == "http://localhost"
    assert (config.username, config.password) == (None, None)
    assert config.retry_on_rate_limit is False
    assert config.max_rate_limit_retries == 3
    assert config.verify_ssl is True
    assert config.auth_settings() == {}


def test_host_can_be_changed_after_construction() -> None:
    config = bandwidth.Configuration()
    config.host = "http://127.0.0.1:9999/api/v2"

    assert config.host == "http://127.0.0.1:9999/api/v2"


def test_deepcopy_keeps_settings_and_shares_loggers() -> None:
    config = bandwidth.Configuration(host="http://h", username="u", password="p", retry_on_rate_limit=True)
    clone = copy.deepcopy(config)

    assert (clone.host, clone.username, clone.password) == ("http://h", "u", "p")
    assert clone.retry_on_rate_limit is True
    assert clone.logger["package_logger"] is config.logger["package_logger"]
    clone.username = "other"
    assert config.username == "u"


def test_default_configuration_is_shared_until_replaced() -> None:
    try:
        first = bandwidth.Configuration.get_default()
        assert bandwidth.Configuration.get_default() is first
        mine = bandwidth.Configuration(host="http://mine")
        bandwidth.Configuration.set_default(mine)
        assert bandwidth.Configuration.get_default() is mine
        assert bandwidth.ApiClient().configuration is mine
    finally:
        bandwidth.Configuration.set_default(None)


def test_debug_switches_the_package_logger_level() -> None:
    config = bandwidth.Configuration(debug=True)
    try:
        assert logging.getLogger("bandwidth").level == logging.DEBUG
    finally:
        config.debug = False
    assert logging.getLogger("bandwidth").level == logging.WARNING


def test_basic_auth_token() -> None:
    config = bandwidth.Configuration(username="alice", password="pä:ss")

    expected = "Basic " + base64.b64encode("alice:pä:ss".encode()).decode()
    assert config.get_basic_auth_token() == expected
    assert config.auth_settings()["Basic"]["value"] == expected


def test_access_token_is_sent_as_bearer(canned_server: CannedServer, make_api: MakeApi) -> None:
    canned_server.add("GET", RECORDINGS_PATH, CannedResponse(200, []))

    make_api(username=None, password=None, access_token="tok-1").list_call_recordings("9900000", "c-1")

    assert canned_server.requests[-1].headers["Authorization"] == "Bearer tok-1"


def test_client_credentials_fetch_a_token_once_and_cache_it(
    canned_server: CannedServer, make_api: MakeApi
) -> None:
    token = {"access_token": "tok-2", "expires_in": 3600}
    canned_server.add("POST", "/oauth2/token", CannedResponse(200, token))
    canned_server.add("GET", RECORDINGS_PATH, CannedResponse(200, []))
    api = make_api(
        username=None,
        password=None,
        client_id="id",
        client_secret="secret",
        access_token_url=canned_server.url + "/oauth2/token",
    )

    api.list_call_recordings("9900000", "c-1")
    api.list_call_recordings("9900000", "c-1")

    token_requests = [r for r in canned_server.requests if r.path == "/oauth2/token"]
    assert len(token_requests) == 1
    assert token_requests[0].body == b"grant_type=client_credentials"
    assert token_requests[0].headers["Authorization"] == "Basic " + base64.b64encode(b"id:secret").decode()
    api_requests = [r for r in canned_server.requests if r.path == RECORDINGS_PATH]
    assert [r.headers["Authorization"] for r in api_requests] == ["Bearer tok-2", "Bearer tok-2"]


def test_extra_default_header_and_cookie_are_sent(canned_server: CannedServer) -> None:
    canned_server.add("GET", RECORDINGS_PATH, CannedResponse(200, []))
    config = bandwidth.Configuration(host=canned_server.url, username="u", password="p")

    client = bandwidth.ApiClient(config, header_name="X-Trace", header_value="t-1", cookie="session=abc")
    with client:
        client.user_agent = "my-agent/1.0"
        bandwidth.RecordingsApi(client).list_call_recordings("9900000", "c-1", _headers={"X-Once": "1"})

    headers = canned_server.requests[-1].headers
    assert (headers["X-Trace"], headers["Cookie"], headers["User-Agent"], headers["X-Once"]) == (
        "t-1",
        "session=abc",
        "my-agent/1.0",
        "1",
    )
