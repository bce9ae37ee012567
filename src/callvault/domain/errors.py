"""Domain errors. Each carries the HTTP status and the Voice API error `type` it maps to."""

from __future__ import annotations


class VoiceApiError(Exception):
    """Base of every error that reaches the caller as `{"type", "description", "id"}`."""

    status: int = 500
    type: str = "internal-error"

    def __init__(self, description: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.headers = headers or {}


class ValidationFailed(VoiceApiError):
    status = 400
    type = "validation"


class AuthenticationFailed(VoiceApiError):
    status = 401
    type = "authentication-error"


class AccessDenied(VoiceApiError):
    status = 403
    type = "authorization-error"


class NotFound(VoiceApiError):
    status = 404
    type = "not-found"


class MethodNotAllowed(VoiceApiError):
    status = 405
    type = "method-not-allowed"


class Conflict(VoiceApiError):
    status = 409
    type = "conflict"


class PayloadTooLarge(VoiceApiError):
    status = 413
    type = "validation"


class UnsupportedMediaType(VoiceApiError):
    status = 415
    type = "unsupported-media-type"


class RateLimited(VoiceApiError):
    status = 429
    type = "error"


class InternalError(VoiceApiError):
    status = 500
    type = "internal-error"
