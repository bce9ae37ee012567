"""What each HTTP operation takes and answers, for the OpenAPI document (`callvault.api.openapi`).

One entry of `OPERATIONS` per route in the schema, keyed by the route's name: its summary, tag,
success status and content, the error statuses it really answers (each with the error envelope),
its query parameters, headers and body. `api/openapi.py` fails the build for a route missing here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AUTHENTICATED",
    "ERROR_DESCRIPTIONS",
    "OPERATIONS",
    "PATH_PARAMETERS",
    "SCHEMA_REF",
    "Operation",
    "json_content",
]

SCHEMA_REF = "#/components/schemas/{model}"

ERROR_DESCRIPTIONS = {
    400: "Bad request: a malformed body, parameter or header (type `validation`)",
    401: "Missing or invalid credentials or token (type `authentication-error`)",
    403: "The user may not use this account, or its role there forbids this (type `authorization-error`)",
    404: "No such call, recording, media or transcription (type `not-found`)",
    405: "Method not allowed on this path; the `Allow` header lists those that are",
    409: (
        "A recording with this recordingId already exists, a legal hold (named) keeps the recording, "
        "or its media is sealed to the account's "
        "public key (type `conflict`)"
    ),
    413: "The upload is larger than CALLVAULT_MAX_UPLOAD (type `validation`)",
    415: "Unsupported Content-Type (type `unsupported-media-type`)",
    416: "The Range cannot be satisfied; Content-Range gives the size (type `validation`)",
    429: "Too many requests for this user; Retry-After gives the seconds to wait (type `error`)",
    500: "An unexpected error; it has been logged (type `internal-error`)",
}
PATH_PARAMETERS = {
    "accountId": "Your Bandwidth account id.",
    "callId": "Programmable Voice API call id.",
    "recordingId": "Programmable Voice API recording id.",
    "holdId": "callvault legal hold id.",
    "receiptId": "callvault erasure receipt id.",
}
AUTHENTICATED = (401, 403, 405, 429, 500)


@dataclass(frozen=True)
class Operation:
    """What one route takes and answers (statuses besides `ok` answer with the error envelope)."""

    summary: str
    tag: str
    ok: int
    ok_content: dict[str, Any] | None = None
    errors: tuple[int, ...] = AUTHENTICATED
    query: tuple[dict[str, Any], ...] = ()
    headers: tuple[dict[str, Any], ...] = ()
    request: dict[str, Any] | None = None
    extra_responses: dict[str, Any] = field(default_factory=dict)
    ok_headers: dict[str, str] = field(default_factory=dict)
    security: tuple[str, ...] = ("Basic", "OAuth2")
    operation_id: str | None = None


def json_content(model: str, *, array: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"$ref": SCHEMA_REF.format(model=model)}
    if array:
        schema = {"type": "array", "items": schema}
    return {"application/json": {"schema": schema}}


def _query(name: str, description: str, example: str, fmt: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if fmt:
        schema["format"] = fmt
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "example": example,
    }


def _body(content: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"required": True, "description": description, "content": content}


_AUDIO = {
    "audio/vnd.wave": {"schema": {"type": "string", "format": "binary"}},
    "audio/mpeg": {"schema": {"type": "string", "format": "binary"}},
}
_PHONE_HINT = (
    " A `+` sent unencoded in a query string arrives as a space;"
    " a leading space before digits is read as `+`."
)
_TOKEN_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "enum": ["invalid_request", "invalid_client", "unsupported_grant_type"]},
        "error_description": {"type": "string"},
    },
}
_RECORDINGS = "Recordings"
_SEALED_MEDIA = {"application/vnd.callvault.sealed-media": {"schema": {"type": "string", "format": "binary"}}}
_ENCRYPTION_JSON = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["mode"],
            "properties": {
                "mode": {"type": "string", "enum": ["server-held", "customer-held"]},
                "publicKeyId": {"type": "string"},
                "publicKey": {"type": "string"},
                "updatedTime": {"type": "string", "format": "date-time"},
            },
        }
    }
}
_ENCRYPTION_REQUEST = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["mode"],
            "additionalProperties": False,
            "properties": {
                "mode": {"type": "string", "enum": ["server-held", "customer-held"]},
                "publicKey": {"type": "string"},
            },
        }
    }
}
_CALLS = "Calls"
_GOVERNANCE = "Access (callvault)"
_OBJECTS = {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}
_OBJECT = {"application/json": {"schema": {"type": "object"}}}

OPERATIONS: dict[str, Operation] = {
    "list_account_call_recordings": Operation(
        "Get Call Recordings",
        _RECORDINGS,
        200,
        json_content("CallRecordingMetadata", array=True),
        errors=(400, *AUTHENTICATED),
        query=(
            _query("to", "Filter by the `to` number (E.164)." + _PHONE_HINT, "+19195551234"),
            _query("from", "Filter by the `from` number (E.164)." + _PHONE_HINT, "+19195554321"),
            _query(
                "minStartTime",
                "Only recordings that started at or after this time.",
                "2022-06-21T19:13:21Z",
                "date-time",
            ),
            _query(
                "maxStartTime",
                "Only recordings that started before this time.",
                "2022-06-21T19:13:21Z",
                "date-time",
            ),
            _query(
                "q",
                "callvault: transcript search (words and quoted phrases); results best first, each with "
                "a `searchMatch` object.",
                "duplicate charge",
            ),
            _query(
                "pageSize",
                "callvault: keyset pages of this many (1-1000); the next page's URL is in the Link header.",
                "100",
            ),
            _query("pageToken", "callvault: the opaque token of the next page (from the Link header).", ""),
            _query("sort", "callvault: `-startTime` for newest first.", "-startTime"),
        ),
        ok_headers={"Link": 'callvault: `<url>; rel="next"` when pageSize/pageToken left more rows'},
    ),
    "list_call_recordings": Operation(
        "List Call Recordings", _RECORDINGS, 200, json_content("CallRecordingMetadata", array=True)
    ),
    "get_call_recording": Operation(
        "Get Call Recording",
        _RECORDINGS,
        200,
        json_content("CallRecordingMetadata"),
        errors=(404, *AUTHENTICATED),
    ),
    "get_waveform_peaks": Operation(
        "Waveform peaks (callvault)",
        _RECORDINGS,
        200,
        {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "channels": {"type": "integer"},
                        "duration": {"type": "number", "description": "Seconds."},
                        "peaks": {
                            "type": "array",
                            "description": "One list per channel of levels from 0 to 1.",
                            "items": {"type": "array", "items": {"type": "number"}},
                        },
                    },
                }
            }
        },
        errors=(404, 409, *AUTHENTICATED),
    ),
    "delete_recording": Operation("Delete Recording", _RECORDINGS, 204, errors=(404, 409, *AUTHENTICATED)),
    "download_call_recording": Operation(
        "Download Recording",
        _RECORDINGS,
        200,
        {**_AUDIO, **_SEALED_MEDIA},
        errors=(404, 416, *AUTHENTICATED),
        headers=(
            {
                "name": "Range",
                "in": "header",
                "required": False,
                "description": "One `bytes=` range; answered with 206 Partial Content.",
                "schema": {"type": "string"},
                "example": "bytes=0-1023",
            },
        ),
        extra_responses={"206": {"description": "The requested byte range of the media", "content": _AUDIO}},
    ),
    "delete_recording_media": Operation(
        "Delete Recording Media", _RECORDINGS, 204, errors=(404, 409, *AUTHENTICATED)
    ),
    "transcribe_call_recording": Operation(
        "Create Transcription Request",
        _RECORDINGS,
        204,
        errors=(400, 404, 409, 415, *AUTHENTICATED),
        request=_body(json_content("TranscribeRecording")),
    ),
    "get_recording_transcription": Operation(
        "Get Transcription",
        _RECORDINGS,
        200,
        json_content("RecordingTranscriptions"),
        errors=(404, *AUTHENTICATED),
    ),
    "delete_recording_transcription": Operation(
        "Delete Transcription", _RECORDINGS, 204, errors=(404, 409, *AUTHENTICATED)
    ),
    "update_call_recording_state": Operation(
        "Update Recording",
        _RECORDINGS,
        200,
        errors=(400, 404, 415, *AUTHENTICATED),
        request=_body(json_content("UpdateCallRecording")),
    ),
    "create_call": Operation(
        "Create Call (callvault: an active call whose audio comes over the media WebSocket)",
        _CALLS,
        201,
        json_content("CreateCallResponse"),
        errors=(400, 415, *AUTHENTICATED),
        request=_body(json_content("CreateCallRequest")),
    ),
    "list_active_calls": Operation(
        "List active calls (callvault: calls in progress, with the recording's `source` of a call "
        "recorded from outside, newest first, at most 200)",
        _CALLS,
        200,
        json_content("CallState", array=True),
        errors=(400, *AUTHENTICATED),
        query=(
            _query("from", "Only calls from this number (E.164)." + _PHONE_HINT, "+19195554321"),
            _query("to", "Only calls to this number (E.164)." + _PHONE_HINT, "+19195551234"),
            _query(
                "siprecSessionId",
                "Only the call of this SIPREC recording session (`source.sessionId`).",
                "hVpd7YQgRW2nD22h7q60JQ==",
            ),
            _query(
                "streamId",
                "Only the call of this media stream (Bandwidth `streamId`, Twilio `streamSid`).",
                "MZ18ad3ab5a668481ce02b83e7395059f0",
            ),
        ),
    ),
    "get_call_state": Operation(
        "Get Call State", _CALLS, 200, json_content("CallState"), errors=(404, *AUTHENTICATED)
    ),
    "update_call": Operation(
        "Update Call (`completed` hangs up)",
        _CALLS,
        200,
        errors=(400, 404, 415, *AUTHENTICATED),
        request=_body(json_content("UpdateCall")),
    ),
    "update_call_bxml": Operation(
        "Update Call BXML (StartRecording, PauseRecording, ResumeRecording, StopRecording)",
        _CALLS,
        204,
        errors=(400, 404, 415, *AUTHENTICATED),
        request=_body({"application/xml": {"schema": {"type": "string"}}}, "A `<Bxml>` document."),
    ),
    "get_account_encryption": Operation(
        "Account encryption mode (callvault)",
        "Encryption",
        200,
        _ENCRYPTION_JSON,
        errors=AUTHENTICATED,
    ),
    "update_account_encryption": Operation(
        "Set the account encryption mode (callvault)",
        "Encryption",
        200,
        _ENCRYPTION_JSON,
        errors=(400, 415, *AUTHENTICATED),
        request=_body(
            _ENCRYPTION_REQUEST, "customer-held needs publicKey: a PEM RSA public key, 2048+ bits."
        ),
    ),
    "ingest": Operation(
        "Ingest a finished recording (callvault)",
        "Ingest",
        201,
        json_content("CallRecordingMetadata"),
        errors=(400, 409, 413, 415, *AUTHENTICATED),
        operation_id="ingestCallRecording",
        request=_body(
            {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["media"],
                        "properties": {
                            "metadata": {
                                "description": "JSON text; every field optional.",
                                "allOf": [{"$ref": SCHEMA_REF.format(model="IngestMetadata")}],
                            },
                            "media": {"type": "string", "format": "binary", "description": "WAV or MP3."},
                        },
                    },
                    "encoding": {"metadata": {"contentType": "application/json"}},
                }
            }
        ),
    ),
    "issue_token": Operation(
        "OAuth2 access token (client credentials grant)",
        "OAuth2",
        200,
        {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["access_token", "token_type", "expires_in"],
                    "properties": {
                        "access_token": {"type": "string"},
                        "token_type": {"type": "string", "enum": ["Bearer"]},
                        "expires_in": {"type": "integer", "example": 3600},
                    },
                }
            }
        },
        errors=(429,),
        security=("ClientCredentials",),
        operation_id="createAccessToken",
        request=_body(
            {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": ["client_credentials"]},
                            "client_id": {
                                "type": "string",
                                "description": "Instead of Basic (not recommended).",
                            },
                            "client_secret": {"type": "string", "description": "Instead of Basic."},
                        },
                    }
                }
            }
        ),
        extra_responses={
            "400": {
                "description": "RFC 6749 §5.2: `invalid_request` or `unsupported_grant_type`",
                "content": {"application/json": {"schema": _TOKEN_ERROR}},
            },
            "401": {
                "description": "RFC 6749 §5.2: `invalid_client` (with `WWW-Authenticate: Basic`)",
                "content": {"application/json": {"schema": _TOKEN_ERROR}},
            },
        },
    ),
    "list_access_log": Operation(
        "Access log (callvault; roles auditor, owner)",
        _GOVERNANCE,
        200,
        _OBJECTS,
        errors=(400, *AUTHENTICATED),
        query=(
            _query("recordingId", "Only entries about this recording.", "r-1"),
            _query("user", "Only entries of this user or client_id.", "alice"),
            _query("from", "Entries at or after this time.", "2026-01-01T00:00:00Z", "date-time"),
            _query("to", "Entries before this time.", "2026-02-01T00:00:00Z", "date-time"),
            _query("after", "The seq of the last entry of the previous page.", "1000"),
            _query("limit", "At most this many entries (1..1000).", "100"),
        ),
        ok_headers={"Link": '`<url>; rel="next"` when more entries match'},
    ),
    "list_credentials": Operation("API credentials (callvault; role owner)", _GOVERNANCE, 200, _OBJECTS),
    "create_credential": Operation(
        "Create an API credential (callvault; role owner); the secret is in this answer only",
        _GOVERNANCE,
        201,
        _OBJECT,
        errors=(400, 415, *AUTHENTICATED),
        request=_body(_OBJECT, '`{"role": "owner|admin|member|auditor|listener", "name": "..."}`'),
    ),
    "revoke_credential": Operation(
        "Revoke an API credential (callvault; role owner)",
        _GOVERNANCE,
        204,
        errors=(400, 404, 409, *AUTHENTICATED),
    ),
    "healthz": Operation(
        "Liveness (the database answers)",
        "Operations",
        200,
        {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string"}}}}},
        errors=(500,),
        security=(),
    ),
    "metrics": Operation(
        "Prometheus metrics (open unless CALLVAULT_METRICS_TOKEN or CALLVAULT_METRICS_USER is set)",
        "Operations",
        200,
        {"text/plain; version=0.0.4": {"schema": {"type": "string"}}},
        errors=(401, 403, 500),
        security=("MetricsToken", "Basic", ""),
    ),
}
