"""The server's OpenAPI document: what each route really takes and answers.

Built from the routes the app serves (the ones in the schema: the `/api/v2` set; the unprefixed alias
of the same routes is served too and only noted) and from the wire models the server answers with,
plus one table here (`OPERATIONS`) that names each operation's parameters, body and answers. A route
missing from the table is an error when the document is built, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

import bandwidth.models
from bandwidth.models import (
    CallRecordingMetadata,
    CallState,
    CreateCallResponse,
    RecordingTranscriptions,
    TranscribeRecording,
    UpdateCall,
    UpdateCallRecording,
    VoiceApiError,
)
from callvault.services.ingest import IngestMetadata
from callvault.services.live_calls import CreateCallRequest

API_PREFIX = "/api/v2"
TOKEN_PATH = "/api/v1/oauth2/token"
SCHEMA_REF = "#/components/schemas/{model}"
_MODELS: tuple[type[BaseModel], ...] = (
    CallRecordingMetadata,
    RecordingTranscriptions,
    TranscribeRecording,
    UpdateCallRecording,
    VoiceApiError,
    CreateCallRequest,
    CreateCallResponse,
    CallState,
    UpdateCall,
    IngestMetadata,
)

DESCRIPTION = f"""callvault speaks Bandwidth's Voice API for call recordings. Every operation below is
served under `{API_PREFIX}` and, identically, without that prefix (e.g. `/accounts/{{accountId}}/recordings`).

Authenticate with HTTP Basic (a callvault user's name and password) or with an OAuth2 Bearer token
from `POST {TOKEN_PATH}` (client credentials: the same name and password). Errors are
`{{"type", "description", "id"}}`. When `CALLVAULT_RATE_LIMIT` is set, a user over the limit gets 429
with `Retry-After`.

WebSockets (not HTTP operations, so not listed): a live call's audio over
`/ingest/accounts/{{accountId}}/calls/{{callId}}/media` in Bandwidth's media-stream messages, and CPaaS
media streams over `/ingest/accounts/{{accountId}}/streams/{{format}}` or
`/ingest/streams/{{format}}/{{token}}`."""

_ERRORS = {
    400: "Bad request: a malformed body, parameter or header (type `validation`)",
    401: "Missing or invalid credentials or token (type `authentication-error`)",
    403: "The user may not use this account (type `authorization-error`)",
    404: "No such call, recording, media or transcription (type `not-found`)",
    405: "Method not allowed on this path; the `Allow` header lists those that are",
    409: "A conflict: the recordingId exists, or a legal hold (named) keeps the recording (type `conflict`)",
    413: "The upload is larger than CALLVAULT_MAX_UPLOAD (type `validation`)",
    415: "Unsupported Content-Type (type `unsupported-media-type`)",
    416: "The Range cannot be satisfied; Content-Range gives the size (type `validation`)",
    429: "Too many requests for this user; Retry-After gives the seconds to wait (type `error`)",
    500: "An unexpected error; it has been logged (type `internal-error`)",
}
_PATH_PARAMETERS = {
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


def _json(model: str, *, array: bool = False) -> dict[str, Any]:
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
_CALLS = "Calls"

OPERATIONS: dict[str, Operation] = {
    "list_account_call_recordings": Operation(
        "Get Call Recordings",
        _RECORDINGS,
        200,
        _json("CallRecordingMetadata", array=True),
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
        "List Call Recordings", _RECORDINGS, 200, _json("CallRecordingMetadata", array=True)
    ),
    "get_call_recording": Operation(
        "Get Call Recording", _RECORDINGS, 200, _json("CallRecordingMetadata"), errors=(404, *AUTHENTICATED)
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
        errors=(404, *AUTHENTICATED),
    ),
    "delete_recording": Operation("Delete Recording", _RECORDINGS, 204, errors=(404, 409, *AUTHENTICATED)),
    "download_call_recording": Operation(
        "Download Recording",
        _RECORDINGS,
        200,
        _AUDIO,
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
        errors=(400, 404, 415, *AUTHENTICATED),
        request=_body(_json("TranscribeRecording")),
    ),
    "get_recording_transcription": Operation(
        "Get Transcription", _RECORDINGS, 200, _json("RecordingTranscriptions"), errors=(404, *AUTHENTICATED)
    ),
    "delete_recording_transcription": Operation(
        "Delete Transcription", _RECORDINGS, 204, errors=(404, 409, *AUTHENTICATED)
    ),
    "update_call_recording_state": Operation(
        "Update Recording",
        _RECORDINGS,
        200,
        errors=(400, 404, 415, *AUTHENTICATED),
        request=_body(_json("UpdateCallRecording")),
    ),
    "create_call": Operation(
        "Create Call (callvault: an active call whose audio comes over the media WebSocket)",
        _CALLS,
        201,
        _json("CreateCallResponse"),
        errors=(400, 415, *AUTHENTICATED),
        request=_body(_json("CreateCallRequest")),
    ),
    "get_call_state": Operation(
        "Get Call State", _CALLS, 200, _json("CallState"), errors=(404, *AUTHENTICATED)
    ),
    "update_call": Operation(
        "Update Call (`completed` hangs up)",
        _CALLS,
        200,
        errors=(400, 404, 415, *AUTHENTICATED),
        request=_body(_json("UpdateCall")),
    ),
    "update_call_bxml": Operation(
        "Update Call BXML (StartRecording, PauseRecording, ResumeRecording, StopRecording)",
        _CALLS,
        204,
        errors=(400, 404, 415, *AUTHENTICATED),
        request=_body({"application/xml": {"schema": {"type": "string"}}}, "A `<Bxml>` document."),
    ),
    "ingest": Operation(
        "Ingest a finished recording (callvault)",
        "Ingest",
        201,
        _json("CallRecordingMetadata"),
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

SECURITY_SCHEMES = {
    "Basic": {"type": "http", "scheme": "basic", "description": "A callvault user's name and password."},
    "OAuth2": {
        "type": "oauth2",
        "description": "Client credentials (a callvault user's name and password) for a Bearer token.",
        "flows": {"clientCredentials": {"tokenUrl": TOKEN_PATH, "scopes": {}}},
    },
    "MetricsToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "CALLVAULT_METRICS_TOKEN, when set (else CALLVAULT_METRICS_USER's Basic credentials).",
    },
    "ClientCredentials": {
        "type": "http",
        "scheme": "basic",
        "description": "`client_id:client_secret` (a callvault user's name and password).",
    },
}


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": _PATH_PARAMETERS.get(name, ""),
            "schema": {"type": "string"},
        }
        for name in re.findall(r"{(\w+)}", path)
    ]


def _responses(operation: Operation) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "Success"}
    if operation.ok_content:
        success["content"] = operation.ok_content
    if operation.ok_headers:
        success["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in operation.ok_headers.items()
        }
    responses: dict[str, Any] = {str(operation.ok): success}
    for status in sorted(operation.errors):
        responses[str(status)] = {"description": _ERRORS[status], "content": _json("VoiceApiError")}
    responses.update(operation.extra_responses)
    return dict(sorted(responses.items()))


def _operation(route: RouteContext, operation: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "tags": [operation.tag],
        "summary": operation.summary,
        "operationId": operation.operation_id or camel_case(str(route.name)),
        "parameters": [*_path_parameters(str(route.path_format)), *operation.query, *operation.headers],
        "responses": _responses(operation),
        "security": [{name: []} if name else {} for name in operation.security],  # "": none needed
    }
    if route.description:
        document["description"] = route.description
    if operation.request:
        document["requestBody"] = operation.request
    if not document["parameters"]:
        del document["parameters"]
    return document


def _wire_schema(model: type[BaseModel] | None, schema: dict[str, Any]) -> dict[str, Any]:
    """Pydantic's schema as the wire has it: no `additional_properties` field (unknown keys are kept
    as such), a null only where the model writes one, no generated titles."""
    schema.pop("title", None)
    properties: dict[str, Any] = schema.get("properties", {})
    if "additional_properties" in properties:
        del properties["additional_properties"]
        schema["additionalProperties"] = True
    nullable = set()
    if model is not None:
        for name in getattr(model, "NULLABLE_FIELDS", frozenset()):
            info = model.model_fields[name]
            nullable.add(info.alias or name)
    for key, value in properties.items():
        value.pop("title", None)
        options = value.pop("anyOf", None)
        if options is None:
            continue
        kept = [option for option in options if option != {"type": "null"} or key in nullable]
        if {option.get("type") for option in kept} >= {"number", "integer"}:  # a JSON number covers both
            kept = [option for option in kept if option.get("type") != "integer"]
        if len(kept) == 1:
            value.update(kept[0])
        else:
            value["anyOf"] = kept
        if value.get("default", ...) is None and key not in nullable:
            del value["default"]
    return schema


def component_schemas() -> dict[str, Any]:
    _, top = models_json_schema([(model, "validation") for model in _MODELS], ref_template=SCHEMA_REF)
    known = [*_MODELS, *(v for v in vars(bandwidth.models).values() if isinstance(v, type))]
    by_name = {model.__name__: model for model in known if issubclass(model, BaseModel)}
    definitions: dict[str, Any] = top["$defs"]
    for name, schema in definitions.items():
        _wire_schema(by_name.get(name), schema)
    return dict(sorted(definitions.items()))


def build_openapi(app: FastAPI) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        operation = OPERATIONS.get(str(route.name)) or _governance_operations().get(str(route.name))
        if operation is None:
            raise KeyError(f"route {route.name!r} ({route.path}) is not described in callvault.api.openapi")
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(str(route.path_format), {})[method.lower()] = _operation(route, operation)
    return {
        "openapi": "3.1.0",
        "info": {"title": app.title, "version": app.version, "description": DESCRIPTION},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": component_schemas(), "securitySchemes": SECURITY_SCHEMES},
        "security": [{"Basic": []}, {"OAuth2": []}],
    }


def _governance_operations() -> dict[str, Operation]:
    from callvault.api.openapi_governance import GOVERNANCE_OPERATIONS  # it imports this module

    return GOVERNANCE_OPERATIONS


def install_openapi(app: FastAPI) -> None:
    """Serve `build_openapi(app)` at the app's openapi_url (built once, on first request)."""
    document: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not document:
            document.update(build_openapi(app))
        return document

    app.openapi = openapi  # type: ignore[method-assign]
