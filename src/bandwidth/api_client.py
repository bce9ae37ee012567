"""ApiClient: builds requests (URL, headers, auth, JSON body), sends them and turns responses into
models or exceptions. Same public methods as the official SDK's ApiClient; the conversions between
values and the wire format (`sanitize_for_serialization`, `parameters_to_url_query`, `deserialize`,
...) come from `SerializationMixin` in `bandwidth._serialization`."""

from __future__ import annotations

import datetime
import email.utils
import logging
import os
import re
import tempfile
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import quote

from bandwidth import rest
from bandwidth._serialization import SerializationMixin
from bandwidth._version import __version__
from bandwidth.api_response import ApiResponse
from bandwidth.configuration import Configuration
from bandwidth.exceptions import ApiException, ApiValueError

RequestSerialized = tuple[str, str, dict[str, str], Any, list[Any]]
"""(method, url, header_params, body, post_params), as `param_serialize` returns it."""

logger = logging.getLogger("bandwidth")

_DEFAULT_RETRY_AFTER_SECONDS = 1.0


def retry_after_seconds(header_value: str | None, cap: float) -> float:
    """Seconds to wait before retrying, from a Retry-After header (delta-seconds or HTTP-date)."""
    if header_value is None or not header_value.strip():
        return min(_DEFAULT_RETRY_AFTER_SECONDS, cap)
    text = header_value.strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_until_http_date(text)
    return max(0.0, min(seconds, cap))


def _seconds_until_http_date(text: str) -> float:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return _DEFAULT_RETRY_AFTER_SECONDS
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return (when - datetime.datetime.now(datetime.UTC)).total_seconds()


class ApiClient(SerializationMixin):
    """Generic API client: one connection pool, default headers and the configuration."""

    _default: ClassVar[ApiClient | None] = None

    def __init__(
        self,
        configuration: Configuration | None = None,
        header_name: str | None = None,
        header_value: str | None = None,
        cookie: str | None = None,
    ) -> None:
        if configuration is None:
            configuration = Configuration.get_default()
        self.configuration = configuration
        self.rest_client = rest.RESTClientObject(configuration)
        self.default_headers: dict[str, str] = {}
        if header_name is not None and header_value is not None:
            self.default_headers[header_name] = header_value
        self.cookie = cookie
        self.user_agent = f"callvault-bandwidth/{__version__}/python"
        self.client_side_validation = configuration.client_side_validation

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections (the client stays usable; new connections open on demand)."""
        self.rest_client.pool_manager.clear()

    @property
    def user_agent(self) -> str:
        """User agent for this API client."""
        return self.default_headers["User-Agent"]

    @user_agent.setter
    def user_agent(self, value: str) -> None:
        self.default_headers["User-Agent"] = value

    def set_default_header(self, header_name: str, header_value: str) -> None:
        self.default_headers[header_name] = header_value

    @classmethod
    def get_default(cls) -> ApiClient:
        if cls._default is None:
            cls._default = ApiClient()
        return cls._default

    @classmethod
    def set_default(cls, default: ApiClient | None) -> None:
        cls._default = default

    # -- building requests --------------------------------------------------------------------------

    def param_serialize(
        self,
        method: str,
        resource_path: str,
        path_params: dict[str, Any] | None = None,
        query_params: list[tuple[str, Any]] | None = None,
        header_params: dict[str, Any] | None = None,
        body: Any = None,
        post_params: list[tuple[str, Any]] | None = None,
        files: dict[str, Any] | None = None,
        auth_settings: list[str] | None = None,
        collection_formats: dict[str, str] | None = None,
        _host: str | None = None,
        _request_auth: dict[str, Any] | None = None,
    ) -> RequestSerialized:
        """Build (method, url, headers, body, post_params) for `call_api`."""
        headers = dict(header_params or {})
        headers.update(self.default_headers)
        if self.cookie:
            headers["Cookie"] = self.cookie
        headers = dict(
            self.parameters_to_tuples(self.sanitize_for_serialization(headers), collection_formats)
        )

        if path_params:
            sanitized = self.sanitize_for_serialization(path_params)
            for key, value in self.parameters_to_tuples(sanitized, collection_formats):
                safe = self.configuration.safe_chars_for_path_param
                resource_path = resource_path.replace(f"{{{key}}}", quote(str(value), safe=safe))

        form: list[Any] = []
        if post_params or files:
            form = self.parameters_to_tuples(
                self.sanitize_for_serialization(post_params or []), collection_formats
            )
            if files:
                form.extend(self.files_parameters(files))

        queries = list(query_params or [])
        self.update_params_for_auth(
            headers, queries, auth_settings, resource_path, method, body, request_auth=_request_auth
        )

        if body:
            body = self.sanitize_for_serialization(body)

        use_configured_host = _host is None or self.configuration.ignore_operation_servers
        url = (self.configuration.host if use_configured_host else _host or "") + resource_path
        if queries:
            url += "?" + self.parameters_to_url_query(
                self.sanitize_for_serialization(queries), collection_formats
            )
        return method, url, headers, body, form

    def select_header_accept(self, accepts: list[str]) -> str | None:
        """The Accept header: a JSON type when one is offered, else the first one."""
        if not accepts:
            return None
        return next((accept for accept in accepts if re.search("json", accept, re.IGNORECASE)), accepts[0])

    def select_header_content_type(self, content_types: list[str]) -> str | None:
        if not content_types:
            return None
        return next((ct for ct in content_types if re.search("json", ct, re.IGNORECASE)), content_types[0])

    def update_params_for_auth(
        self,
        headers: dict[str, Any],
        queries: list[tuple[str, Any]],
        auth_settings: list[str] | None,
        resource_path: str,
        method: str,
        body: Any,
        request_auth: dict[str, Any] | None = None,
    ) -> None:
        """Add the credentials of the first configured scheme in ``auth_settings`` (or ``request_auth``)."""
        if not auth_settings:
            return
        if request_auth:
            self._apply_auth_params(headers, queries, resource_path, method, body, request_auth)
            return
        configured = self.configuration.auth_settings()
        for name in auth_settings:
            setting = configured.get(name)
            if setting:
                self._apply_auth_params(headers, queries, resource_path, method, body, setting)

    def _apply_auth_params(
        self,
        headers: dict[str, Any],
        queries: list[tuple[str, Any]],
        resource_path: str,
        method: str,
        body: Any,
        auth_setting: dict[str, Any],
    ) -> None:
        location = auth_setting["in"]
        if location == "cookie":
            headers["Cookie"] = auth_setting["value"]
        elif location == "header":
            if auth_setting["type"] != "http-signature":
                headers[auth_setting["key"]] = auth_setting["value"]
        elif location == "query":
            queries.append((auth_setting["key"], auth_setting["value"]))
        else:
            raise ApiValueError("Authentication token must be in `query` or `header`")

    # -- sending ------------------------------------------------------------------------------------

    def call_api(
        self,
        method: str,
        url: str,
        header_params: dict[str, str] | None = None,
        body: Any = None,
        post_params: list[Any] | None = None,
        _request_timeout: rest.RequestTimeout = None,
    ) -> rest.RESTResponse:
        """Send the request; with ``retry_on_rate_limit``, wait out 429 responses (Retry-After)."""
        retries_done = 0
        while True:
            response = self.rest_client.request(
                method, url, headers=header_params, body=body, post_params=post_params,
                _request_timeout=_request_timeout,
            )  # fmt: skip
            if not self._should_retry_rate_limited(response, retries_done):
                return response
            delay = retry_after_seconds(
                response.getheader("Retry-After"), self.configuration.max_retry_after_seconds
            )
            response.release()
            retries_done += 1
            logger.info("429 from %s %s; retry %d in %.2fs", method, url, retries_done, delay)
            time.sleep(delay)

    def _should_retry_rate_limited(self, response: rest.RESTResponse, retries_done: int) -> bool:
        config = self.configuration
        return (
            response.status == 429
            and config.retry_on_rate_limit
            and retries_done < max(0, config.max_rate_limit_retries)
        )

    # -- reading responses --------------------------------------------------------------------------

    def response_deserialize(
        self,
        response_data: rest.RESTResponse,
        response_types_map: Mapping[str, str | None] | None = None,
    ) -> ApiResponse[Any]:
        """Turn a read response into an `ApiResponse`, or raise the `ApiException` of its status."""
        raw = response_data.data if response_data.data is not None else response_data.read()
        response_type = _response_type_for(response_data.status, response_types_map or {})
        if not 200 <= response_data.status <= 299:
            text, data = self._decode_error_body(response_data, raw, response_type)
            raise ApiException.from_response(http_resp=response_data, body=text, data=data)
        return ApiResponse(
            status_code=response_data.status,
            data=self._decode_body(response_data, raw, response_type),
            headers=dict(response_data.getheaders()),
            raw_data=raw,
        )

    def _decode_body(self, response_data: rest.RESTResponse, raw: bytes, response_type: str | None) -> Any:
        if response_type is None:
            return None
        if response_type == "bytearray":
            return bytearray(raw)
        if response_type == "file":
            return self._write_temp_file(response_data, raw)
        content_type = response_data.getheader("content-type")
        return self.deserialize(raw.decode(_charset(content_type)), response_type, content_type)

    def _decode_error_body(
        self, response_data: rest.RESTResponse, raw: bytes, response_type: str | None
    ) -> tuple[str | None, Any]:
        """The error body as text and, when it parses, as its model (errors never hide the status)."""
        content_type = response_data.getheader("content-type")
        try:
            text = raw.decode(_charset(content_type))
        except (UnicodeDecodeError, LookupError):
            return None, None
        if response_type is None or response_type in ("bytearray", "file") or not text:
            return text, None
        try:
            return text, self.deserialize(text, response_type, content_type)
        except Exception:  # a malformed error body must not replace the HTTP error
            return text, None

    def _write_temp_file(self, response_data: rest.RESTResponse, raw: bytes) -> str:
        directory = self.configuration.temp_folder_path or tempfile.gettempdir()
        disposition = response_data.getheader("Content-Disposition")
        match = re.search(r'filename=[\'"]?([^\'"\s]+)[\'"]?', disposition or "")
        if match:
            path = os.path.join(directory, os.path.basename(match.group(1)))
        else:
            handle, path = tempfile.mkstemp(dir=directory)
            os.close(handle)
        with open(path, "wb") as out:
            out.write(raw)
        return path


def _response_type_for(status: int, response_types_map: Mapping[str, str | None]) -> str | None:
    response_type = response_types_map.get(str(status))
    if response_type is None and 100 <= status <= 599:
        response_type = response_types_map.get(str(status)[0] + "XX")
    return response_type


def _charset(content_type: str | None) -> str:
    match = re.search(r"charset=([a-zA-Z\-\d]+)[\s;]?", content_type or "")
    return match.group(1) if match else "utf-8"
