"""The recording state of a live call: pause or resume its recording (`update_call_recording_state`),
as the `CallRecordingStateMixin` of `RecordingsApi`."""

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
    RecordingsApiBase,
    RequestAuth,
    RequestHeaders,
    RequestTimeout,
)
from bandwidth.api_client import RequestSerialized
from bandwidth.api_response import ApiResponse
from bandwidth.models.update_call_recording import UpdateCallRecording
from bandwidth.rest import RESTResponseType

_UPDATE_CALL_RECORDING_STATE_TYPES: dict[str, str | None] = {"200": None, **ERROR_TYPES}


class CallRecordingStateMixin(RecordingsApiBase):
    """`update_call_recording_state` in the SDK's three forms."""

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
            accepts=JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )
