"""One recording's metadata: get it (`get_call_recording`) and delete the recording with its media and
transcription (`delete_recording`), as the `RecordingMetadataMixin` of `RecordingsApi`."""

from __future__ import annotations

from typing import Any

from pydantic import validate_call

from bandwidth.api._recordings_base import (
    ERROR_TYPES,
    JSON_ACCEPTS,
    AccountIdParam,
    CallIdParam,
    ContentType,
    HostIndex,
    RecordingIdParam,
    RecordingsApiBase,
    RequestAuth,
    RequestHeaders,
    RequestTimeout,
)
from bandwidth.api_client import RequestSerialized
from bandwidth.api_response import ApiResponse
from bandwidth.models.call_recording_metadata import CallRecordingMetadata
from bandwidth.rest import RESTResponseType

_DELETE_RECORDING_TYPES: dict[str, str | None] = {"204": None, **ERROR_TYPES}
_GET_CALL_RECORDING_TYPES: dict[str, str | None] = {"200": "CallRecordingMetadata", **ERROR_TYPES}


class RecordingMetadataMixin(RecordingsApiBase):
    """`get_call_recording` and `delete_recording`, each in the SDK's three forms."""

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
            accepts=JSON_ACCEPTS,
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
            accepts=JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )
