"""RecordingsApi against a canned HTTP server: requests on the wire, responses and errors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

import bandwidth
from bandwidth import exceptions
from bandwidth.rest import ApiException
from support.canned_http import CannedResponse, CannedServer

ACCOUNT = "9900000"
CALL = "c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85"
RECORDING = "r-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85"
RECORDING_PATH = f"/accounts/{ACCOUNT}/calls/{CALL}/recordings/{RECORDING}"
METADATA = {
    "accountId": ACCOUNT,
    "callId": CALL,
    "recordingId": RECORDING,
    "from": "+15555550100",
    "to": "+15555550199",
    "startTime": "2022-06-17T22:19:40.375Z",
    "fileFormat": "wav",
    "status": "complete",
}
MakeApi = Callable[..., bandwidth.RecordingsApi]


def test_get_call_recording_sends_basic_auth_user_agent_and_accept(
    canned_server: CannedServer, make_api: MakeApi
) -> None:
    canned_server.add("GET", RECORDING_PATH, CannedResponse(200, METADATA))

    result = make_api(username="alice", password="s3cret").get_call_recording(ACCOUNT, CALL, RECORDING)

    assert isinstance(result, bandwidth.CallRecordingMetadata)
    assert result.recording_id == RECORDING
    request = canned_server.requests[-1]
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert request.headers["User-Agent"].startswith("callvault-bandwidth/23.3.1")
    assert request.headers["Accept"] == "application/json"


def test_host_is_used_as_given_including_a_path_prefix(
    canned_server: CannedServer, make_api: MakeApi
) -> None:
    canned_server.add("GET", "/api/v2" + RECORDING_PATH, CannedResponse(200, METADATA))

    api = make_api(host=canned_server.url + "/api/v2")
    api.get_call_recording(ACCOUNT, CALL, RECORDING)

    assert canned_server.requests[-1].path == "/api/v2" + RECORDING_PATH


def test_default_host_is_localhost_without_api_prefix() -> None:
    assert bandwidth.Configuration().host == "http://localhost"
    assert bandwidth.Configuration(host="http://example:8080/api/v2").host == "http://example:8080/api/v2"


def test_path_parameters_are_percent_encoded(canned_server: CannedServer, make_api: MakeApi) -> None:
    canned_server.add(
        "GET", f"/accounts/{ACCOUNT}/calls/c%2Fwith%20space/recordings", CannedResponse(200, [])
    )

    assert make_api().list_call_recordings(ACCOUNT, "c/with space") == []
    assert canned_server.requests[-1].path == f"/accounts/{ACCOUNT}/calls/c%2Fwith%20space/recordings"


def test_list_account_recordings_sends_var_from_as_the_from_query_parameter(
    canned_server: CannedServer, make_api: MakeApi
) -> None:
    canned_server.add("GET", f"/accounts/{ACCOUNT}/recordings", CannedResponse(200, [METADATA, METADATA]))

    result = make_api().list_account_call_recordings(
        ACCOUNT,
        to="+15555550199",
        var_from="+15555550100",
        min_start_time="2022-06-21T19:13:21Z",
        max_start_time="2022-06-22T19:13:21Z",
    )

    assert [item.recording_id for item in result] == [RECORDING, RECORDING]
    query = canned_server.requests[-1].query
    assert query == {
        "to": ["+15555550199"],
        "from": ["+15555550100"],
        "minStartTime": ["2022-06-21T19:13:21Z"],
        "maxStartTime": ["2022-06-22T19:13:21Z"],
    }
    assert "var_from" not in canned_server.requests[-1].raw_query


def test_list_account_recordings_omits_unset_filters(canned_server: CannedServer, make_api: MakeApi) -> None:
    canned_server.add("GET", f"/accounts/{ACCOUNT}/recordings", CannedResponse(200, []))

    assert make_api().list_account_call_recordings(ACCOUNT, var_from="+1") == []
    assert canned_server.requests[-1].query == {"from": ["+1"]}


def test_transcribe_posts_the_json_wire_body(canned_server: CannedServer, make_api: MakeApi) -> None:
    canned_server.add("POST", RECORDING_PATH + "/transcription", CannedResponse(204))

    body = bandwidth.TranscribeRecording(
        callback_url="https://hooks.example/t", tag="x", callback_timeout=5.5
    )
    assert make_api().transcribe_call_recording(ACCOUNT, CALL, RECORDING, body) is None

    request = canned_server.requests[-1]
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {
        "callbackUrl": "https://hooks.example/t",
        "callbackMethod": "POST",
        "tag": "x",
        "callbackTimeout": 5.5,
        "detectLanguage": False,
    }


def test_update_call_recording_state_puts_the_state(canned_server: CannedServer, make_api: MakeApi) -> None:
    canned_server.add("PUT", f"/accounts/{ACCOUNT}/calls/{CALL}/recording", CannedResponse(200))

    api = make_api()
    api.update_call_recording_state(ACCOUNT, CALL, bandwidth.UpdateCallRecording(state="paused"))

    assert canned_server.requests[-1].method == "PUT"
    assert canned_server.requests[-1].json() == {"state": "paused"}


def test_wrong_argument_types_are_rejected_before_any_request(
    canned_server: CannedServer, make_api: MakeApi
) -> None:
    api: Any = make_api()
    with pytest.raises(ValidationError):
        api.get_call_recording(9900000, CALL, RECORDING)
    with pytest.raises(ValidationError):
        api.update_call_recording_state(ACCOUNT, CALL, {"state": "bogus"})
    assert canned_server.requests == []


@pytest.mark.parametrize(
    ("method", "suffix", "call"),
    [
        ("DELETE", "", lambda api: api.delete_recording(ACCOUNT, CALL, RECORDING)),
        ("DELETE", "/media", lambda api: api.delete_recording_media(ACCOUNT, CALL, RECORDING)),
        (
            "DELETE",
            "/transcription",
            lambda api: api.delete_recording_transcription(ACCOUNT, CALL, RECORDING),
        ),
    ],
)
def test_deletes_return_none_on_204(
    canned_server: CannedServer, make_api: MakeApi, method: str, suffix: str, call: Callable[[Any], Any]
) -> None:
    canned_server.add(method, RECORDING_PATH + suffix, CannedResponse(204))

    assert call(make_api()) is None
    assert (canned_server.requests[-1].method, canned_server.requests[-1].path) == (
        method,
        RECORDING_PATH + suffix,
    )


def test_download_returns_a_bytearray_and_asks_for_audio(
    canned_server: CannedServer, make_api: MakeApi
) -> None:
    audio = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4
    canned_server.add(
        "GET", RECORDING_PATH + "/media", CannedResponse(200, audio, {"Content-Type": "audio/vnd.wave"})
    )

    result = make_api().download_call_recording(ACCOUNT, CALL, RECORDING)

    assert isinstance(result, bytearray)
    assert result == audio
    assert "audio/vnd.wave" in canned_server.requests[-1].headers["Accept"]


def test_get_recording_transcription_parses_transcripts_and_clips(
    canned_server: CannedServer, make_api: MakeApi
) -> None:
    body = {
        "transcripts": [{"speaker": 0, "text": "hello there", "confidence": 0.9}],
        "clips": [{"speaker": 0, "text": "hello there", "confidence": 0.9, "startTimeSeconds": 0.1,
                   "endTimeSeconds": 1.2}],
    }  # fmt: skip
    canned_server.add("GET", RECORDING_PATH + "/transcription", CannedResponse(200, body))

    result = make_api().get_recording_transcription(ACCOUNT, CALL, RECORDING)

    assert isinstance(result, bandwidth.RecordingTranscriptions)
    assert result.transcripts is not None and result.transcripts[0].text == "hello there"
    assert result.clips is not None and result.clips[0].end_time_seconds == 1.2


def test_with_http_info_returns_status_headers_and_raw_body(
    canned_server: CannedServer, make_api: MakeApi
) -> None:
    canned_server.add("GET", RECORDING_PATH, CannedResponse(200, METADATA, {"X-Request-Id": "abc"}))

    response = make_api().get_call_recording_with_http_info(ACCOUNT, CALL, RECORDING)

    assert isinstance(response, bandwidth.ApiResponse)
    assert response.status_code == 200
    assert response.headers is not None and response.headers["X-Request-Id"] == "abc"
    assert json.loads(response.raw_data) == METADATA
    assert isinstance(response.data, bandwidth.CallRecordingMetadata)


def test_without_preload_content_returns_the_unread_response(
    canned_server: CannedServer, make_api: MakeApi
) -> None:
    canned_server.add("GET", RECORDING_PATH + "/media", CannedResponse(200, b"x" * 100_000))

    response = make_api().download_call_recording_without_preload_content(ACCOUNT, CALL, RECORDING)
    try:
        assert response.status == 200
        assert b"".join(response.stream(4096)) == b"x" * 100_000
    finally:
        response.release_conn()


@pytest.mark.parametrize(
    ("status", "exception_class"),
    [
        (400, exceptions.BadRequestException),
        (401, exceptions.UnauthorizedException),
        (403, exceptions.ForbiddenException),
        (404, exceptions.NotFoundException),
        (409, exceptions.ConflictException),
        (422, exceptions.UnprocessableEntityException),
        (500, exceptions.ServiceException),
        (503, exceptions.ServiceException),
    ],
)
def test_error_statuses_raise_their_exception_class(
    canned_server: CannedServer, make_api: MakeApi, status: int, exception_class: type[ApiException]
) -> None:
    envelope = {"type": "whatever", "description": f"status {status}", "id": "e-1"}
    canned_server.add("GET", RECORDING_PATH, CannedResponse(status, envelope))

    with pytest.raises(exception_class) as raised:
        make_api().get_call_recording(ACCOUNT, CALL, RECORDING)

    error = raised.value
    assert type(error) is exception_class
    assert error.status == status
    assert isinstance(error.data, bandwidth.VoiceApiError)
    assert error.data.description == f"status {status}"
    assert json.loads(error.body or "") == envelope
    assert error.headers is not None and error.headers["Content-Type"] == "application/json"
    assert f"({status})" in str(error)


@pytest.mark.parametrize("status", [405, 415, 429])
def test_other_error_statuses_raise_plain_api_exception(
    canned_server: CannedServer, make_api: MakeApi, status: int
) -> None:
    canned_server.add(
        "DELETE", RECORDING_PATH, CannedResponse(status, {"type": "error", "description": "no"})
    )

    with pytest.raises(ApiException) as raised:
        make_api().delete_recording(ACCOUNT, CALL, RECORDING)

    assert type(raised.value) is ApiException
    assert raised.value.status == status


def test_error_with_a_non_json_body_still_raises_by_status(
    canned_server: CannedServer, make_api: MakeApi
) -> None:
    html = b"<html>bad gateway</html>"
    canned_server.add("GET", RECORDING_PATH, CannedResponse(502, html, {"Content-Type": "text/html"}))

    with pytest.raises(exceptions.ServiceException) as raised:
        make_api().get_call_recording(ACCOUNT, CALL, RECORDING)

    assert raised.value.body == html.decode()
    assert raised.value.data is None


def test_missing_credentials_send_no_authorization_header(
    canned_server: CannedServer, make_api: MakeApi
) -> None:
    canned_server.add("GET", RECORDING_PATH, CannedResponse(401, {"type": "authentication-error"}))

    with pytest.raises(exceptions.UnauthorizedException):
        make_api(username=None, password=None).get_call_recording(ACCOUNT, CALL, RECORDING)

    assert "Authorization" not in canned_server.requests[-1].headers


def test_exception_hierarchy_matches_the_official_sdk() -> None:
    assert issubclass(exceptions.ApiException, exceptions.OpenApiException)
    assert issubclass(exceptions.ApiTypeError, TypeError)
    assert issubclass(exceptions.ApiValueError, ValueError)
    assert issubclass(exceptions.ApiKeyError, KeyError)
    assert issubclass(exceptions.ApiAttributeError, AttributeError)
    for name in ("BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "UnprocessableEntity"):
        assert issubclass(getattr(exceptions, f"{name}Exception"), ApiException)
    assert issubclass(exceptions.ServiceException, ApiException)
    assert bandwidth.rest.ApiException is bandwidth.ApiException is exceptions.ApiException
    assert str(exceptions.ApiValueError("bad", path_to_item=["a", 0])) == "bad at ['a'][0]"


def test_api_client_is_a_context_manager_and_recordings_api_is_importable_from_api() -> None:
    from bandwidth.api.recordings_api import RecordingsApi

    with bandwidth.ApiClient(bandwidth.Configuration()) as client:
        assert RecordingsApi(client).api_client is client
    assert RecordingsApi is bandwidth.RecordingsApi
