"""Exceptions, with the same names, bases and constructor arguments as the official SDK.

Hierarchy::

    OpenApiException
    ├── ApiTypeError (TypeError)      ├── ApiValueError (ValueError)
    ├── ApiKeyError (KeyError)        ├── ApiAttributeError (AttributeError)
    └── ApiException
        ├── BadRequestException (400)     ├── UnauthorizedException (401)
        ├── ForbiddenException (403)      ├── NotFoundException (404)
        ├── ConflictException (409)       ├── UnprocessableEntityException (422)
        └── ServiceException (5xx)

Any other status (405, 415, 429, ...) raises a plain `ApiException`, as the official SDK does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, Protocol, Self


class HttpResponseLike(Protocol):
    """What `ApiException` reads from a response (`bandwidth.rest.RESTResponse` fits)."""

    status: int
    reason: str | None
    data: bytes | None

    def getheaders(self) -> Any: ...


def render_path(path_to_item: Sequence[str | int]) -> str:
    """`['a'][0]['b']` for the path a -> 0 -> b."""
    return "".join(f"[{part}]" if isinstance(part, int) else f"['{part}']" for part in path_to_item)


def _with_path(msg: str, path_to_item: Sequence[str | int] | None) -> str:
    return f"{msg} at {render_path(path_to_item)}" if path_to_item else msg


class OpenApiException(Exception):
    """The base exception class for all OpenAPIExceptions."""


class ApiTypeError(OpenApiException, TypeError):
    def __init__(
        self,
        msg: str,
        path_to_item: Sequence[str | int] | None = None,
        valid_classes: tuple[type, ...] | None = None,
        key_type: bool | None = None,
    ) -> None:
        self.path_to_item = path_to_item
        self.valid_classes = valid_classes
        self.key_type = key_type
        super().__init__(_with_path(msg, path_to_item))


class ApiValueError(OpenApiException, ValueError):
    def __init__(self, msg: str, path_to_item: Sequence[str | int] | None = None) -> None:
        self.path_to_item = path_to_item
        super().__init__(_with_path(msg, path_to_item))


class ApiAttributeError(OpenApiException, AttributeError):
    def __init__(self, msg: str, path_to_item: Sequence[str | int] | None = None) -> None:
        self.path_to_item = path_to_item
        super().__init__(_with_path(msg, path_to_item))


class ApiKeyError(OpenApiException, KeyError):
    def __init__(self, msg: str, path_to_item: Sequence[str | int] | None = None) -> None:
        self.path_to_item = path_to_item
        super().__init__(_with_path(msg, path_to_item))


class ApiException(OpenApiException):
    """An HTTP error: ``status``, ``reason``, ``body`` (text), ``data`` (a VoiceApiError when the body
    parses as one) and ``headers``."""

    def __init__(
        self,
        status: int | None = None,
        reason: str | None = None,
        http_resp: HttpResponseLike | None = None,
        *,
        body: str | None = None,
        data: Any | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.body = body
        self.data = data
        self.headers: Any | None = None
        if http_resp is not None:
            self._fill_from_response(http_resp)
        super().__init__(status, reason)

    def _fill_from_response(self, http_resp: HttpResponseLike) -> None:
        if self.status is None:
            self.status = http_resp.status
        if self.reason is None:
            self.reason = http_resp.reason
        if self.body is None and http_resp.data is not None:
            with contextlib.suppress(UnicodeDecodeError):
                self.body = http_resp.data.decode("utf-8")
        self.headers = http_resp.getheaders()

    @classmethod
    def from_response(cls, *, http_resp: HttpResponseLike, body: str | None, data: Any | None) -> Self:
        """Raise the exception class that matches ``http_resp.status`` (never returns)."""
        exception_class = exception_class_for_status(http_resp.status)
        raise exception_class(http_resp=http_resp, body=body, data=data)

    def __str__(self) -> str:
        message = f"({self.status})\nReason: {self.reason}\n"
        if self.headers:
            message += f"HTTP response headers: {self.headers}\n"
        if self.data or self.body:
            message += f"HTTP response body: {self.data or self.body}\n"
        return message


class BadRequestException(ApiException):
    """HTTP 400."""


class NotFoundException(ApiException):
    """HTTP 404."""


class UnauthorizedException(ApiException):
    """HTTP 401."""


class ForbiddenException(ApiException):
    """HTTP 403."""


class ServiceException(ApiException):
    """HTTP 5xx."""


class ConflictException(ApiException):
    """HTTP 409 Conflict."""


class UnprocessableEntityException(ApiException):
    """HTTP 422 Unprocessable Entity."""


_EXCEPTION_BY_STATUS: dict[int, type[ApiException]] = {
    400: BadRequestException,
    401: UnauthorizedException,
    403: ForbiddenException,
    404: NotFoundException,
    409: ConflictException,
    422: UnprocessableEntityException,
}


def exception_class_for_status(status: int) -> type[ApiException]:
    """The class `ApiException.from_response` raises for an HTTP status."""
    if 500 <= status <= 599:
        return ServiceException
    return _EXCEPTION_BY_STATUS.get(status, ApiException)
