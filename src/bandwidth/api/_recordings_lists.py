"""Lists of recordings: those of one call (`list_call_recordings`) and those of the account, filtered
by from, to and start time (`list_account_call_recordings`), as the `RecordingListsMixin` of
`RecordingsApi`."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictStr, validate_call

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
from bandwidth.models.call_recording_metadata import CallRecordingMetadata
from bandwidth.rest import RESTResponseType

ToFilter = Annotated[StrictStr | None, Field(description="Filter results by the `to` field.")]
FromFilter = Annotated[StrictStr | None, Field(description="Filter results by the `from` field.")]
MinStartTimeFilter = Annotated[
    StrictStr | None, Field(description="Recordings whose `startTime` is at or after this ISO-8601 time.")
]
MaxStartTimeFilter = Annotated[
    StrictStr | None, Field(description="Recordings whose `startTime` is before this ISO-8601 time.")
]

_LIST_ACCOUNT_CALL_RECORDINGS_TYPES: dict[str, str | None] = {
    "200": "List[CallRecordingMetadata]",
    **ERROR_TYPES,
}
_LIST_CALL_RECORDINGS_TYPES: dict[str, str | None] = {"200": "List[CallRecordingMetadata]", **ERROR_TYPES}


class RecordingListsMixin(RecordingsApiBase):
    """`list_call_recordings` and `list_account_call_recordings`, each in the SDK's three forms."""

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
            accepts=JSON_ACCEPTS,
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
            accepts=JSON_ACCEPTS,
            request_auth=_request_auth,
            content_type=_content_type,
            headers=_headers,
        )
