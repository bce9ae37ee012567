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


class MediaStreamError(ValidationFailed):
    """A media-stream message is malformed or asks for something callvault does not support
    (the media WebSocket closes with 1007 and this description)."""


class StreamMetadataTooLarge(MediaStreamError):
    """A stream's metadata (what its recording's ``source`` would keep) is larger than callvault
    keeps (the media WebSocket closes with 1009 and this description)."""


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


class CallNotActive(NotFound):
    """The call does not exist, or it has ended."""


class Conflict(VoiceApiError):
    status = 409
    type = "conflict"


class PayloadTooLarge(VoiceApiError):
    status = 413
    type = "validation"


class RangeNotSatisfiable(VoiceApiError):
    status = 416
    type = "validation"


class UnsupportedMediaType(VoiceApiError):
    status = 415
    type = "unsupported-media-type"


class RateLimited(VoiceApiError):
    status = 429
    type = "error"


class StreamLimitReached(RateLimited):
    """A media stream would pass a limit: too many open for its source (429 at the handshake), or
    open longer than the maximum session length (the WebSocket closes with 1008)."""


class InternalError(VoiceApiError):
    status = 500
    type = "internal-error"


class MediaIntegrityFailed(InternalError):
    """A recording's stored media failed its integrity check (altered or truncated), or its data key
    cannot be unwrapped: it is not served."""


class MediaSealed(Conflict):
    """The recording's media is sealed to the account's public key: the server cannot decrypt it."""


def error_class_for_status(status: int) -> type[VoiceApiError]:
    """The error class whose wire status is `status` (the most general one), for errors raised
    outside the domain (routing, the framework); InternalError when none has it."""
    for cls in (
        ValidationFailed,
        AuthenticationFailed,
        AccessDenied,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PayloadTooLarge,
        RangeNotSatisfiable,
        UnsupportedMediaType,
        RateLimited,
    ):
        if cls.status == status:
            return cls
    return InternalError


class OAuthError(Exception):
    """An error of the OAuth2 token endpoint, answered as RFC 6749 §5.2 `{"error", "error_description"}`."""

    status: int = 400
    error: str = "invalid_request"

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class InvalidOAuthRequest(OAuthError):
    status = 400
    error = "invalid_request"


class InvalidClient(OAuthError):
    status = 401
    error = "invalid_client"


class UnsupportedGrantType(OAuthError):
    status = 400
    error = "unsupported_grant_type"
