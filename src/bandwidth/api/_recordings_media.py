"""A recording's media: download it whole (`download_call_recording`) or streamed to a file that is
replaced atomically (`download_call_recording_to_file`), and delete it (`delete_recording_media`),
as the `RecordingMediaMixin` of `RecordingsApi`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
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
from bandwidth.rest import RESTResponse, RESTResponseType

_MEDIA_ACCEPTS = ["audio/vnd.wave", "audio/mpeg", "application/json"]
DEFAULT_DOWNLOAD_CHUNK_SIZE = 1 << 20

_DELETE_RECORDING_MEDIA_TYPES: dict[str, str | None] = {"204": None, **ERROR_TYPES}
_DOWNLOAD_CALL_RECORDING_TYPES: dict[str, str | None] = {"200": "bytearray", **ERROR_TYPES}


class RecordingMediaMixin(RecordingsApiBase):
    """`download_call_recording` and `delete_recording_media`, each in the SDK's three forms, and
    `download_call_recording_to_file`."""

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
            accepts=JSON_ACCEPTS,
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
