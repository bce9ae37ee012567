"""The OpenAPI table rows of the governance routes (`api/routes/retention.py`): retention policy,
redaction policy, legal holds, erasure. `api/openapi.py` reads them beside `OPERATIONS`."""

from __future__ import annotations

from typing import Any

from callvault.api.openapi_operations import AUTHENTICATED, Operation, _body

_TAG = "Governance (callvault)"
_DAYS = {
    "description": "Days after the recording's start; null keeps forever.",
    "anyOf": [{"type": "integer", "minimum": 1, "maximum": 36500}, {"type": "null"}],
}
_POLICY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"mediaDays": _DAYS, "transcriptDays": _DAYS, "metadataDays": _DAYS},
}
_REDACTION: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean", "description": "Redact every transcription of the account."},
        "cards": {"type": "boolean", "description": "Payment card numbers (13-19 digits, Luhn)."},
        "ssn": {"type": "boolean", "description": "US social security numbers."},
        "patterns": {
            "type": "array",
            "maxItems": 20,
            "items": {"type": "string", "maxLength": 200},
            "description": "Python regular expressions, matched with spoken digits written as digits.",
        },
        "audio": {"type": "string", "enum": ["silence", "tone"]},
        "keepOriginal": {"type": "boolean", "description": "Keep the unredacted audio (default true)."},
    },
}
_NULLABLE_STRING = {"anyOf": [{"type": "string"}, {"type": "null"}]}
_HOLD: dict[str, Any] = {
    "type": "object",
    "properties": {
        "holdId": {"type": "string"},
        "accountId": {"type": "string"},
        "type": {"type": "string", "enum": ["recording", "call", "number"]},
        "target": {"type": "string", "description": "The recording id, call id or E.164 number held."},
        "reason": {"type": "string"},
        "placedBy": {"type": "string"},
        "placedTime": {"type": "string", "format": "date-time"},
        "active": {"type": "boolean"},
        "releasedBy": _NULLABLE_STRING,
        "releasedTime": _NULLABLE_STRING,
        "releaseReason": _NULLABLE_STRING,
    },
}
_NEW_HOLD = {
    "type": "object",
    "required": ["type", "target", "reason"],
    "properties": {
        "type": {"type": "string", "enum": ["recording", "call", "number"]},
        "target": {"type": "string", "example": "+19195551234"},
        "reason": {"type": "string", "example": "Matter 2026-17: preserve all calls with this client"},
    },
}
_REASON = {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}
_RECEIPT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "receiptId": {"type": "string"},
        "accountId": {"type": "string"},
        "number": {"type": "string", "description": "The erased number's last two digits only."},
        "requestedBy": {"type": "string"},
        "time": {"type": "string", "format": "date-time"},
        "recordingsErased": {"type": "integer"},
        "mediaRemoved": {"type": "integer"},
        "transcriptsRemoved": {"type": "integer"},
        "recordingsHeld": {"type": "integer"},
        "erasedRecordingIds": {"type": "array", "items": {"type": "string"}},
        "held": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "recordingId": {"type": "string"},
                    "holdIds": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


def _content(schema: dict[str, Any], *, array: bool = False) -> dict[str, Any]:
    return {"application/json": {"schema": {"type": "array", "items": schema} if array else schema}}


GOVERNANCE_OPERATIONS: dict[str, Operation] = {
    "get_retention_policy": Operation("Get the retention policy", _TAG, 200, _content(_POLICY)),
    "set_retention_policy": Operation(
        "Set the retention policy (negative or absurd days: 400)",
        _TAG,
        200,
        _content(_POLICY),
        errors=(400, 415, *AUTHENTICATED),
        request=_body(_content(_POLICY)),
    ),
    "get_redaction_policy": Operation("Get the PII redaction policy", _TAG, 200, _content(_REDACTION)),
    "set_redaction_policy": Operation(
        "Set the PII redaction policy (a transcription request's `redact` field overrides `enabled`)",
        _TAG,
        200,
        _content(_REDACTION),
        errors=(400, 415, *AUTHENTICATED),
        request=_body(_content(_REDACTION)),
    ),
    "list_legal_holds": Operation(
        "List legal holds",
        _TAG,
        200,
        _content(_HOLD, array=True),
        errors=(400, *AUTHENTICATED),
        query=(
            {
                "name": "active",
                "in": "query",
                "required": False,
                "description": "`true` (default): holds in force; `false`: every hold.",
                "schema": {"type": "string", "enum": ["true", "false"]},
                "example": "true",
            },
        ),
    ),
    "place_legal_hold": Operation(
        "Place a legal hold on a recording, a call or a phone number (404: no such recording or call)",
        _TAG,
        201,
        _content(_HOLD),
        errors=(400, 404, 415, *AUTHENTICATED),
        request=_body(_content(_NEW_HOLD)),
    ),
    "get_legal_hold": Operation("Get a legal hold", _TAG, 200, _content(_HOLD), errors=(404, *AUTHENTICATED)),
    "release_legal_hold": Operation(
        "Release a legal hold (kept, with who released it and why; 409 if already released)",
        _TAG,
        200,
        _content(_HOLD),
        errors=(400, 404, 409, 415, *AUTHENTICATED),
        request=_body(_content(_REASON)),
    ),
    "erase_number": Operation(
        "Erase a phone number's recordings: media, transcripts, search entries (holds respected; 404: none)",
        _TAG,
        201,
        _content(_RECEIPT),
        errors=(400, 404, 415, *AUTHENTICATED),
        request=_body(
            _content(
                {
                    "type": "object",
                    "required": ["number"],
                    "properties": {"number": {"type": "string", "pattern": "^\\+?[0-9]{3,20}$"}},
                }
            )
        ),
    ),
    "list_erasures": Operation(
        "List erasure receipts, newest first", _TAG, 200, _content(_RECEIPT, array=True)
    ),
    "get_erasure": Operation(
        "Get an erasure receipt", _TAG, 200, _content(_RECEIPT), errors=(404, *AUTHENTICATED)
    ),
}
