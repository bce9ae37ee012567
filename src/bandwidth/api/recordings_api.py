"""RecordingsApi: the ten operations of the Recordings API document, each in three forms
(``x``, ``x_with_http_info``, ``x_without_preload_content``) with the official SDK's parameters,
plus `download_call_recording_to_file` that streams the media to disk."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StrictFloat, StrictInt, StrictStr, validate_call

from bandwidth.api_client import ApiClient, RequestSerialized
from bandwidth.api_response import ApiResponse
from bandwidth.models.call_recording_metadata import CallRecordingMetadata
from bandwidth.models.recording_transcriptions import RecordingTranscriptions
from bandwidth.models.transcribe_recording import TranscribeRecording
from bandwidth.models.update_call_recording import UpdateCallRecording
from bandwidth.rest import RESTResponse, RESTResponseType

AccountIdParam = Annotated[StrictStr, Field(description="Your Bandwidth Account ID.")]
CallIdParam = Annotated[StrictStr, Field(description="Programmable Voice API Call ID.")]
RecordingIdParam = Annotated[StrictStr, Field(description="Programmable Voice API Recording ID.")]
ToFilter = Annotated[StrictStr | None, Field(description="Filter results by the `to` field.")]
FromFilter = Annotated[StrictStr | None, Field(description="Filter results by the `from` field.")]
MinStartTimeFilter = Annotated[
    StrictStr | None, Field(description="Recordings whose `startTime` is at or after this ISO-8601 time.")
]
MaxStartTimeFilter = Annotated[
    StrictStr | None, Field(description="Recordings whose `startTime` is before this ISO-8601 time.")
]

PositiveSeconds = Annotated[StrictFloat, Field(gt=0)]
RequestTimeout = None | PositiveSeconds | tuple[PositiveSeconds, PositiveSeconds]
"""Total seconds, or (connect, read) seconds."""
RequestAuth = dict[StrictStr, Any] | None
ContentType = StrictStr | None
RequestHeaders = dict[StrictStr, Any] | None
HostIndex = Annotated[StrictInt, Field(ge=0, le=1)]
"""Accepted for compatibility; requests always go to `Configuration.host`."""

_AUTH_SETTINGS = ["Basic", "OAuth2"]
_JSON_ACCEPTS = ["application/json"]
_MEDIA_ACCEPTS = ["audio/vnd.wave", "audio/mpeg", "application/json"]
_ERROR_TYPES: dict[str, str | None] = {
    status: "VoiceApiError"
    for status in ("400", "401", "403", "404", "405", "415", "429", "500", "4XX", "5XX")
}
DEFAULT_DOWNLOAD_CHUNK_SIZE = 1 << 20

_DELETE_RECORDING_TYPES: dict[str, str | None] = {"204": None, **_ERROR_TYPES}
_DELETE_RECORDING_MEDIA_TYPES: dict[str, str | None] = {"204": None, **_ERROR_TYPES}
_DELETE_RECORDING_TRANSCRIPTION_TYPES: dict[str, str | None] = {"204": None, **_ERROR_TYPES}
_DOWNLOAD_CALL_RECORDING_TYPES: dict[str, str | None] = {"200": "bytearray", **_ERROR_TYPES}
_GET_CALL_RECORDING_TYPES: dict[str, str | None] = {"200": "CallRecordingMetadata", **_ERROR_TYPES}
_GET_RECORDING_TRANSCRIPTION_TYPES: dict[str, str | None] = {"200": "RecordingTranscriptions", **_ERROR_TYPES}
_LIST_ACCOUNT_CALL_RECORDINGS_TYPES: dict[str, str | None] = {
    "200": "List[CallRecordingMetadata]",
    **_ERROR_TYPES,
}
_LIST_CALL_RECORDINGS_TYPES: dict[str, str | None] = {"200": "List[CallRecordingMetadata]", **_ERROR_TYPES}
_TRANSCRIBE_CALL_RECORDING_TYPES: dict[str, str | None] = {"204": None, **_ERROR_TYPES}
_UPDATE_CALL_RECORDING_STATE_TYPES: dict[str, str | None] = {"200": None, **_ERROR_TYPES}

__all__ = ["RecordingsApi"]


class RecordingsApi:
    """Recordings of calls: metadata, media, transcriptions, pause/resume."""

    def __init__(self, api_client: ApiClient | None = None) -> None:
        self.api_client = api_client if api_client is not None else ApiClient.get_default()

    # -- shared plumbing ----------------------------------------------------------------------------

    def _build_request(
        self,
        method: str,
        resource_path: str,
        path_params: dict[str, Any],
        *,
        query: list[tuple[str, Any]],
        body: Any,
        accepts: list[str],
        request_auth: dict[str, Any] | None,
        content_type: str | None,
        headers: dict[str, Any] | None,
    ) -> RequestSerialized:
        header_params: dict[str, Any] = dict(headers or {})
        if "Accept" not in header_params:
            header_params["Accept"] = ", ".join(accepts)
        if body is not None:
            header_params["Content-Type"] = content_type or "application/json"
        return self.api_client.param_serialize(
            method=method,
            resource_path=resource_path,
            path_params=path_params,
            query_params=query,
            header_params=header_params,
            body=body,
            post_params=[],
            files={},
            auth_settings=_AUTH_SETTINGS,
            collection_formats={},
            _host=None,
            _request_auth=request_auth,
        )

    def _send(self, request: RequestSerialized, request_timeout: Any) -> RESTResponse:
        return self.api_client.call_api(*request, _request_timeout=request_timeout)

    def _fetch(
        self, request: RequestSerialized, response_types: dict[str, str | None], request_timeout: Any
    ) -> ApiResponse[Any]:
        response = self._send(request, request_timeout)
        response.read()
        return self.api_client.response_deserialize(response_data=response, response_types_map=response_types)

    # -- operations ---------------------------------------------------------------------------------

    @validate_call
    def delete_recording(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> None:
        """Delete Recording: Delete the recording information, media and transcription."""
        request = self._delete_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _DELETE_RECORDING_TYPES, _request_timeout).data

    @validate_call
    def delete_recording_with_http_info(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> ApiResponse[None]:
        """Delete Recording, returning status code, headers and raw body too."""
        request = self._delete_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _DELETE_RECORDING_TYPES, _request_timeout)

    @validate_call
    def delete_recording_without_preload_content(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> RESTResponseType:
        """Delete Recording, returning the unread urllib3 response."""
        request = self._delete_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._send(request, _request_timeout).response

    def _delete_recording_serialize(
        self,
        account_id: Any,
        call_id: Any,
        recording_id: Any,
        *,
        _request_auth: Any,
        _content_type: Any,
        _headers: Any,
    ) -> RequestSerialized:
        return self._build_request(
            "DELETE",
            "/accounts/{accountId}/calls/{callId}/recordings/{recordingId}",
            {"accountId": account_id, "callId": call_id, "recordingId": recording_id},
            query=[],
            body=None,
            accepts=_JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )

    @validate_call
    def delete_recording_media(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> None:
        """Delete Recording Media: Deletes the specified recording's media."""
        request = self._delete_recording_media_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _DELETE_RECORDING_MEDIA_TYPES, _request_timeout).data

    @validate_call
    def delete_recording_media_with_http_info(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> ApiResponse[None]:
        """Delete Recording Media, returning status code, headers and raw body too."""
        request = self._delete_recording_media_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _DELETE_RECORDING_MEDIA_TYPES, _request_timeout)

    @validate_call
    def delete_recording_media_without_preload_content(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> RESTResponseType:
        """Delete Recording Media, returning the unread urllib3 response."""
        request = self._delete_recording_media_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._send(request, _request_timeout).response

    def _delete_recording_media_serialize(
        self,
        account_id: Any,
        call_id: Any,
        recording_id: Any,
        *,
        _request_auth: Any,
        _content_type: Any,
        _headers: Any,
    ) -> RequestSerialized:
        return self._build_request(
            "DELETE",
            "/accounts/{accountId}/calls/{callId}/recordings/{recordingId}/media",
            {"accountId": account_id, "callId": call_id, "recordingId": recording_id},
            query=[],
            body=None,
            accepts=_JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )

    @validate_call
    def delete_recording_transcription(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> None:
        """Delete Transcription: Deletes the specified recording's transcription."""
        request = self._delete_recording_transcription_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _DELETE_RECORDING_TRANSCRIPTION_TYPES, _request_timeout).data

    @validate_call
    def delete_recording_transcription_with_http_info(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> ApiResponse[None]:
        """Delete Transcription, returning status code, headers and raw body too."""
        request = self._delete_recording_transcription_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _DELETE_RECORDING_TRANSCRIPTION_TYPES, _request_timeout)

    @validate_call
    def delete_recording_transcription_without_preload_content(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> RESTResponseType:
        """Delete Transcription, returning the unread urllib3 response."""
        request = self._delete_recording_transcription_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._send(request, _request_timeout).response

    def _delete_recording_transcription_serialize(
        self,
        account_id: Any,
        call_id: Any,
        recording_id: Any,
        *,
        _request_auth: Any,
        _content_type: Any,
        _headers: Any,
    ) -> RequestSerialized:
        return self._build_request(
            "DELETE",
            "/accounts/{accountId}/calls/{callId}/recordings/{recordingId}/transcription",
            {"accountId": account_id, "callId": call_id, "recordingId": recording_id},
            query=[],
            body=None,
            accepts=_JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )

    @validate_call
    def download_call_recording(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> bytearray:
        """Download Recording: the media, whole, in memory (see `download_call_recording_to_file`)."""
        request = self._download_call_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _DOWNLOAD_CALL_RECORDING_TYPES, _request_timeout).data

    @validate_call
    def download_call_recording_with_http_info(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> ApiResponse[bytearray]:
        """Download Recording, returning status code, headers and raw body too."""
        request = self._download_call_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _DOWNLOAD_CALL_RECORDING_TYPES, _request_timeout)

    @validate_call
    def download_call_recording_without_preload_content(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> RESTResponseType:
        """Download Recording, returning the unread urllib3 response."""
        request = self._download_call_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._send(request, _request_timeout).response

    def _download_call_recording_serialize(
        self,
        account_id: Any,
        call_id: Any,
        recording_id: Any,
        *,
        _request_auth: Any,
        _content_type: Any,
        _headers: Any,
    ) -> RequestSerialized:
        return self._build_request(
            "GET",
            "/accounts/{accountId}/calls/{callId}/recordings/{recordingId}/media",
            {"accountId": account_id, "callId": call_id, "recordingId": recording_id},
            query=[],
            body=None,
            accepts=_MEDIA_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )

    @validate_call
    def get_call_recording(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> CallRecordingMetadata:
        """Get Call Recording: Returns metadata for the specified recording."""
        request = self._get_call_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _GET_CALL_RECORDING_TYPES, _request_timeout).data

    @validate_call
    def get_call_recording_with_http_info(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> ApiResponse[CallRecordingMetadata]:
        """Get Call Recording, returning status code, headers and raw body too."""
        request = self._get_call_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _GET_CALL_RECORDING_TYPES, _request_timeout)

    @validate_call
    def get_call_recording_without_preload_content(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> RESTResponseType:
        """Get Call Recording, returning the unread urllib3 response."""
        request = self._get_call_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._send(request, _request_timeout).response

    def _get_call_recording_serialize(
        self,
        account_id: Any,
        call_id: Any,
        recording_id: Any,
        *,
        _request_auth: Any,
        _content_type: Any,
        _headers: Any,
    ) -> RequestSerialized:
        return self._build_request(
            "GET",
            "/accounts/{accountId}/calls/{callId}/recordings/{recordingId}",
            {"accountId": account_id, "callId": call_id, "recordingId": recording_id},
            query=[],
            body=None,
            accepts=_JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )

    @validate_call
    def get_recording_transcription(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> RecordingTranscriptions:
        """Get Transcription: Downloads the specified transcription (one transcript per channel)."""
        request = self._get_recording_transcription_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _GET_RECORDING_TRANSCRIPTION_TYPES, _request_timeout).data

    @validate_call
    def get_recording_transcription_with_http_info(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> ApiResponse[RecordingTranscriptions]:
        """Get Transcription, returning status code, headers and raw body too."""
        request = self._get_recording_transcription_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _GET_RECORDING_TRANSCRIPTION_TYPES, _request_timeout)

    @validate_call
    def get_recording_transcription_without_preload_content(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> RESTResponseType:
        """Get Transcription, returning the unread urllib3 response."""
        request = self._get_recording_transcription_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._send(request, _request_timeout).response

    def _get_recording_transcription_serialize(
        self,
        account_id: Any,
        call_id: Any,
        recording_id: Any,
        *,
        _request_auth: Any,
        _content_type: Any,
        _headers: Any,
    ) -> RequestSerialized:
        return self._build_request(
            "GET",
            "/accounts/{accountId}/calls/{callId}/recordings/{recordingId}/transcription",
            {"accountId": account_id, "callId": call_id, "recordingId": recording_id},
            query=[],
            body=None,
            accepts=_JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )

    @validate_call
    def list_account_call_recordings(
        self,
        account_id: AccountIdParam,
        to: ToFilter = None,
        var_from: FromFilter = None,
        min_start_time: MinStartTimeFilter = None,
        max_start_time: MaxStartTimeFilter = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> list[CallRecordingMetadata]:
        """Get Call Recordings: the account's recordings filtered by from, to, min/maxStartTime (max 1000)."""
        request = self._list_account_call_recordings_serialize(
            account_id=account_id,
            to=to,
            var_from=var_from,
            min_start_time=min_start_time,
            max_start_time=max_start_time,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _LIST_ACCOUNT_CALL_RECORDINGS_TYPES, _request_timeout).data

    @validate_call
    def list_account_call_recordings_with_http_info(
        self,
        account_id: AccountIdParam,
        to: ToFilter = None,
        var_from: FromFilter = None,
        min_start_time: MinStartTimeFilter = None,
        max_start_time: MaxStartTimeFilter = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> ApiResponse[list[CallRecordingMetadata]]:
        """Get Call Recordings, returning status code, headers and raw body too."""
        request = self._list_account_call_recordings_serialize(
            account_id=account_id,
            to=to,
            var_from=var_from,
            min_start_time=min_start_time,
            max_start_time=max_start_time,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _LIST_ACCOUNT_CALL_RECORDINGS_TYPES, _request_timeout)

    @validate_call
    def list_account_call_recordings_without_preload_content(
        self,
        account_id: AccountIdParam,
        to: ToFilter = None,
        var_from: FromFilter = None,
        min_start_time: MinStartTimeFilter = None,
        max_start_time: MaxStartTimeFilter = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> RESTResponseType:
        """Get Call Recordings, returning the unread urllib3 response."""
        request = self._list_account_call_recordings_serialize(
            account_id=account_id,
            to=to,
            var_from=var_from,
            min_start_time=min_start_time,
            max_start_time=max_start_time,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._send(request, _request_timeout).response

    def _list_account_call_recordings_serialize(
        self,
        account_id: Any,
        to: Any,
        var_from: Any,
        min_start_time: Any,
        max_start_time: Any,
        *,
        _request_auth: Any,
        _content_type: Any,
        _headers: Any,
    ) -> RequestSerialized:
        query = [
            (key, value)
            for key, value in (
                ("to", to),
                ("from", var_from),
                ("minStartTime", min_start_time),
                ("maxStartTime", max_start_time),
            )
            if value is not None
        ]
        return self._build_request(
            "GET",
            "/accounts/{accountId}/recordings",
            {"accountId": account_id},
            query=query,
            body=None,
            accepts=_JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )

    @validate_call
    def list_call_recordings(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> list[CallRecordingMetadata]:
        """List Call Recordings: Returns the (possibly empty) list of recordings of the call."""
        request = self._list_call_recordings_serialize(
            account_id=account_id,
            call_id=call_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _LIST_CALL_RECORDINGS_TYPES, _request_timeout).data

    @validate_call
    def list_call_recordings_with_http_info(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> ApiResponse[list[CallRecordingMetadata]]:
        """List Call Recordings, returning status code, headers and raw body too."""
        request = self._list_call_recordings_serialize(
            account_id=account_id,
            call_id=call_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _LIST_CALL_RECORDINGS_TYPES, _request_timeout)

    @validate_call
    def list_call_recordings_without_preload_content(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> RESTResponseType:
        """List Call Recordings, returning the unread urllib3 response."""
        request = self._list_call_recordings_serialize(
            account_id=account_id,
            call_id=call_id,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._send(request, _request_timeout).response

    def _list_call_recordings_serialize(
        self, account_id: Any, call_id: Any, *, _request_auth: Any, _content_type: Any, _headers: Any
    ) -> RequestSerialized:
        return self._build_request(
            "GET",
            "/accounts/{accountId}/calls/{callId}/recordings",
            {"accountId": account_id, "callId": call_id},
            query=[],
            body=None,
            accepts=_JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )

    @validate_call
    def transcribe_call_recording(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        transcribe_recording: TranscribeRecording,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> None:
        """Create Transcription Request: transcribe a recording (longer than 500 ms, shorter than 4 h)."""
        request = self._transcribe_call_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            transcribe_recording=transcribe_recording,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _TRANSCRIBE_CALL_RECORDING_TYPES, _request_timeout).data

    @validate_call
    def transcribe_call_recording_with_http_info(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        transcribe_recording: TranscribeRecording,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> ApiResponse[None]:
        """Create Transcription Request, returning status code, headers and raw body too."""
        request = self._transcribe_call_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            transcribe_recording=transcribe_recording,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _TRANSCRIBE_CALL_RECORDING_TYPES, _request_timeout)

    @validate_call
    def transcribe_call_recording_without_preload_content(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        recording_id: RecordingIdParam,
        transcribe_recording: TranscribeRecording,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> RESTResponseType:
        """Create Transcription Request, returning the unread urllib3 response."""
        request = self._transcribe_call_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            transcribe_recording=transcribe_recording,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._send(request, _request_timeout).response

    def _transcribe_call_recording_serialize(
        self,
        account_id: Any,
        call_id: Any,
        recording_id: Any,
        transcribe_recording: Any,
        *,
        _request_auth: Any,
        _content_type: Any,
        _headers: Any,
    ) -> RequestSerialized:
        return self._build_request(
            "POST",
            "/accounts/{accountId}/calls/{callId}/recordings/{recordingId}/transcription",
            {"accountId": account_id, "callId": call_id, "recordingId": recording_id},
            query=[],
            body=transcribe_recording,
            accepts=_JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )

    @validate_call
    def update_call_recording_state(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        update_call_recording: UpdateCallRecording,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> None:
        """Update Recording: Pause or resume a recording on an active phone call."""
        request = self._update_call_recording_state_serialize(
            account_id=account_id,
            call_id=call_id,
            update_call_recording=update_call_recording,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _UPDATE_CALL_RECORDING_STATE_TYPES, _request_timeout).data

    @validate_call
    def update_call_recording_state_with_http_info(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        update_call_recording: UpdateCallRecording,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> ApiResponse[None]:
        """Update Recording, returning status code, headers and raw body too."""
        request = self._update_call_recording_state_serialize(
            account_id=account_id,
            call_id=call_id,
            update_call_recording=update_call_recording,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._fetch(request, _UPDATE_CALL_RECORDING_STATE_TYPES, _request_timeout)

    @validate_call
    def update_call_recording_state_without_preload_content(
        self,
        account_id: AccountIdParam,
        call_id: CallIdParam,
        update_call_recording: UpdateCallRecording,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: ContentType = None,
        _headers: RequestHeaders = None,
        _host_index: HostIndex = 0,
    ) -> RESTResponseType:
        """Update Recording, returning the unread urllib3 response."""
        request = self._update_call_recording_state_serialize(
            account_id=account_id,
            call_id=call_id,
            update_call_recording=update_call_recording,
            _request_auth=_request_auth,
            _content_type=_content_type,
            _headers=_headers,
        )
        return self._send(request, _request_timeout).response

    def _update_call_recording_state_serialize(
        self,
        account_id: Any,
        call_id: Any,
        update_call_recording: Any,
        *,
        _request_auth: Any,
        _content_type: Any,
        _headers: Any,
    ) -> RequestSerialized:
        return self._build_request(
            "PUT",
            "/accounts/{accountId}/calls/{callId}/recording",
            {"accountId": account_id, "callId": call_id},
            query=[],
            body=update_call_recording,
            accepts=_JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )

    # -- extra: streaming download ------------------------------------------------------------------

    def download_call_recording_to_file(
        self,
        account_id: str,
        call_id: str,
        recording_id: str,
        path: str | os.PathLike[str],
        chunk_size: int = DEFAULT_DOWNLOAD_CHUNK_SIZE,
        *,
        _request_timeout: Any = None,
        _request_auth: dict[str, Any] | None = None,
        _headers: dict[str, Any] | None = None,
    ) -> int:
        """Download the media to ``path`` chunk by chunk and return the number of bytes written.

        The body goes to a temporary file next to ``path`` that is fsynced and renamed over ``path``
        only when complete, so ``path`` is never left half-written. Errors raise like
        `download_call_recording` does.
        """
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        request = self._download_call_recording_serialize(
            account_id=account_id,
            call_id=call_id,
            recording_id=recording_id,
            _request_auth=_request_auth,
            _content_type=None,
            _headers=_headers,
        )
        response = self._send(request, _request_timeout)
        if not 200 <= response.status <= 299:
            response.read()
            self.api_client.response_deserialize(response, _DOWNLOAD_CALL_RECORDING_TYPES)
        try:
            return _stream_to_file_atomically(response, Path(path), chunk_size)
        finally:
            response.release()


def _stream_to_file_atomically(response: RESTResponse, target: Path, chunk_size: int) -> int:
    directory = target.parent if str(target.parent) else Path(".")
    handle, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".part")
    written = 0
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in response.response.stream(chunk_size):
                out.write(chunk)
                written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_directory(directory)
    return written


def _fsync_directory(directory: Path) -> None:
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
