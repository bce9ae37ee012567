"""ApiClient: builds requests (URL, headers, auth, JSON body), sends them and turns responses into
models or exceptions. Same public methods as the official SDK's ApiClient."""

from __future__ import annotations

import datetime
import decimal
import email.utils
import json
import logging
import mimetypes
import os
import re
import tempfile
import time
import uuid
from collections.abc import Mapping
from enum import Enum
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import quote

from pydantic import SecretStr

import bandwidth.models
from bandwidth import rest
from bandwidth._version import __version__
from bandwidth.api_response import ApiResponse
from bandwidth.configuration import Configuration
from bandwidth.exceptions import ApiException, ApiValueError
from bandwidth.models._wire import format_wire_datetime

RequestSerialized = tuple[str, str, dict[str, str], Any, list[Any]]
"""(method, url, header_params, body, post_params), as `param_serialize` returns it."""

logger = logging.getLogger("bandwidth")

_DEFAULT_RETRY_AFTER_SECONDS = 1.0
_COLLECTION_DELIMITERS = {"ssv": " ", "tsv": "\t", "pipes": "|", "csv": ","}


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


class ApiClient:
    """Generic API client: one connection pool, default headers and the configuration."""

    PRIMITIVE_TYPES: ClassVar[tuple[type, ...]] = (float, bool, bytes, str, int)
    NATIVE_TYPES_MAPPING: ClassVar[dict[str, type]] = {
        "int": int,
        "long": int,
        "float": float,
        "str": str,
        "bool": bool,
        "date": datetime.date,
        "datetime": datetime.datetime,
        "decimal": decimal.Decimal,
        "object": object,
    }
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

    def sanitize_for_serialization(self, obj: Any) -> Any:
        """Turn models, enums, datetimes and containers into JSON-ready values (the wire format)."""
        if obj is None:
            return None
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, SecretStr):
            return obj.get_secret_value()
        if isinstance(obj, self.PRIMITIVE_TYPES):
            return obj
        if isinstance(obj, uuid.UUID):
            return str(obj)
        if isinstance(obj, list):
            return [self.sanitize_for_serialization(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.sanitize_for_serialization(item) for item in obj)
        if isinstance(obj, datetime.datetime):
            return format_wire_datetime(obj)
        if isinstance(obj, datetime.date):
            return obj.isoformat()
        if isinstance(obj, decimal.Decimal):
            return str(obj)
        if isinstance(obj, dict):
            return {key: self.sanitize_for_serialization(value) for key, value in obj.items()}
        if callable(getattr(obj, "to_wire", None)):
            return obj.to_wire()
        if callable(getattr(obj, "to_dict", None)):
            return self.sanitize_for_serialization(obj.to_dict())
        return self.sanitize_for_serialization(obj.__dict__)

    def parameters_to_tuples(
        self, params: Mapping[str, Any] | list[tuple[str, Any]], collection_formats: dict[str, str] | None
    ) -> list[tuple[str, Any]]:
        """Parameters as (name, value) pairs; list values joined as their collection format says."""
        formats = collection_formats or {}
        pairs: list[tuple[str, Any]] = []
        for key, value in params.items() if isinstance(params, Mapping) else params:
            collection_format = formats.get(key)
            if collection_format is None:
                pairs.append((key, value))
            elif collection_format == "multi":
                pairs.extend((key, item) for item in value)
            else:
                delimiter = _COLLECTION_DELIMITERS.get(collection_format, ",")
                pairs.append((key, delimiter.join(str(item) for item in value)))
        return pairs

    def parameters_to_url_query(
        self, params: Mapping[str, Any] | list[tuple[str, Any]], collection_formats: dict[str, str] | None
    ) -> str:
        """`a=Hello%20World&b=123`; values are percent-encoded like the official SDK does."""
        formats = collection_formats or {}
        pairs: list[tuple[str, str]] = []
        for key, raw in params.items() if isinstance(params, Mapping) else params:
            value = _query_scalar(raw)
            collection_format = formats.get(key)
            if collection_format is None:
                pairs.append((key, quote(str(value))))
            elif collection_format == "multi":
                pairs.extend((key, quote(str(item))) for item in value)
            else:
                delimiter = _COLLECTION_DELIMITERS.get(collection_format, ",")
                pairs.append((key, delimiter.join(quote(str(item)) for item in value)))
        return "&".join(f"{key}={value}" for key, value in pairs)

    def files_parameters(self, files: dict[str, Any]) -> list[tuple[str, tuple[str, bytes, str]]]:
        """Multipart file fields: a path, raw bytes, a (filename, bytes) pair or a list of those."""
        params: list[tuple[str, tuple[str, bytes, str]]] = []
        for key, value in files.items():
            if isinstance(value, list):
                for item in value:
                    params.extend(self.files_parameters({key: item}))
                continue
            if isinstance(value, str):
                with open(value, "rb") as handle:
                    filename, filedata = os.path.basename(handle.name), handle.read()
            elif isinstance(value, bytes):
                filename, filedata = key, value
            elif isinstance(value, tuple):
                filename, filedata = value
            else:
                raise ValueError("Unsupported file value")
            mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            params.append((key, (filename, filedata, mimetype)))
        return params

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

    def deserialize(self, response_text: str, response_type: str, content_type: str | None) -> Any:
        """Parse a response body (JSON or text) into ``response_type`` (a type name such as
        ``"List[CallRecordingMetadata]"``)."""
        if content_type is None:
            try:
                data: Any = json.loads(response_text)
            except ValueError:
                data = response_text
        elif re.match(r"^application/(json|[\w!#$&.+\-^_]+\+json)\s*(;|$)", content_type, re.IGNORECASE):
            data = json.loads(response_text) if response_text else ""
        elif re.match(r"^text/[a-z.+-]+\s*(;|$)", content_type, re.IGNORECASE):
            data = response_text
        else:
            raise ApiException(status=0, reason=f"Unsupported content type: {content_type}")
        return self._deserialize_value(data, response_type)

    def _deserialize_value(self, data: Any, klass: str | type) -> Any:
        if data is None:
            return None
        if isinstance(klass, str):
            container = re.fullmatch(r"(List|Dict)\[(?:[^,\]]*, )?(.*)\]", klass)
            if container and container.group(1) == "List":
                return [self._deserialize_value(item, container.group(2)) for item in data]
            if container:
                return {
                    key: self._deserialize_value(value, container.group(2)) for key, value in data.items()
                }
            klass = self.NATIVE_TYPES_MAPPING.get(klass) or getattr(bandwidth.models, klass)
        return self._deserialize_as_type(data, klass)

    def _deserialize_as_type(self, data: Any, klass: Any) -> Any:
        if klass in self.PRIMITIVE_TYPES:
            try:
                return klass(data)
            except UnicodeEncodeError:
                return str(data)
            except TypeError:
                return data
        if klass is object:
            return data
        if klass is datetime.date or klass is datetime.datetime:
            return _parse_date_or_datetime(data, klass)
        if klass is decimal.Decimal:
            return decimal.Decimal(data)
        if isinstance(klass, type) and issubclass(klass, Enum):
            try:
                return klass(data)
            except ValueError:
                raise ApiException(status=0, reason=f"Failed to parse `{data}` as `{klass}`") from None
        return klass.from_dict(data)

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


def _query_scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _parse_date_or_datetime(data: Any, klass: type) -> Any:
    from dateutil.parser import parse

    try:
        parsed = parse(data)
    except (ValueError, OverflowError):
        raise ApiException(status=0, reason=f"Failed to parse `{data}` as {klass.__name__} object") from None
    return parsed.date() if klass is datetime.date else parsed
