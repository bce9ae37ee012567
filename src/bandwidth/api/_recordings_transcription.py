"""A recording's transcription: request it (`transcribe_call_recording`), get it
(`get_recording_transcription`) and delete it (`delete_recording_transcription`), as the
`RecordingTranscriptionMixin` of `RecordingsApi`."""

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
from bandwidth.models.recording_transcriptions import RecordingTranscriptions
from bandwidth.models.transcribe_recording import TranscribeRecording
from bandwidth.rest import RESTResponseType

_DELETE_RECORDING_TRANSCRIPTION_TYPES: dict[str, str | None] = {"204": None, **ERROR_TYPES}
_GET_RECORDING_TRANSCRIPTION_TYPES: dict[str, str | None] = {"200": "RecordingTranscriptions", **ERROR_TYPES}
_TRANSCRIBE_CALL_RECORDING_TYPES: dict[str, str | None] = {"204": None, **ERROR_TYPES}


class RecordingTranscriptionMixin(RecordingsApiBase):
    """`delete_recording_transcription`, `get_recording_transcription` and
    `transcribe_call_recording`, each in the SDK's three forms."""

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
            accepts=JSON_ACCEPTS,
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
            accepts=JSON_ACCEPTS,
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
            accepts=JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )
