"""The server's OpenAPI document: what each route really takes and answers.

Built from the routes the app serves (the ones in the schema: the `/api/v2` set; the unprefixed alias
of the same routes is served too and only noted) and from the wire models the server answers with,
plus one table (`callvault.api.openapi_operations.OPERATIONS`) that names each operation's parameters,
body and answers. A route missing from the table is an error when the document is built, so the two
cannot drift apart.
"""

from __future__ import annotations

import re
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
from callvault.api.openapi_governance import GOVERNANCE_OPERATIONS
from callvault.api.openapi_operations import (
    ERROR_DESCRIPTIONS,
    OPERATIONS,
    PATH_PARAMETERS,
    SCHEMA_REF,
    Operation,
    json_content,
)
from callvault.services.ingest import IngestMetadata
from callvault.services.live_calls import CreateCallRequest

API_PREFIX = "/api/v2"
TOKEN_PATH = "/api/v1/oauth2/token"
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

Authenticate with HTTP Basic (a callvault user's name and password, or an API credential's client_id
and secret) or with an OAuth2 Bearer token from `POST {TOKEN_PATH}` (client credentials: either of
those pairs). A user's role in the account (or the credential's) decides what it may do. Errors are
`{{"type", "description", "id"}}`. When `CALLVAULT_RATE_LIMIT` is set, a user over the limit gets 429
with `Retry-After`.

WebSockets (not HTTP operations, so not listed): a live call's audio over
`/ingest/accounts/{{accountId}}/calls/{{callId}}/media` in Bandwidth's media-stream messages, and CPaaS
media streams over `/ingest/accounts/{{accountId}}/streams/{{format}}` or
`/ingest/streams/{{format}}/{{token}}`."""

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
        "description": "`client_id:client_secret`: an API credential, or a user's name and password.",
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
            "description": PATH_PARAMETERS.get(name, ""),
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
        responses[str(status)] = {
            "description": ERROR_DESCRIPTIONS[status],
            "content": json_content("VoiceApiError"),
        }
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
        operation = OPERATIONS.get(str(route.name)) or GOVERNANCE_OPERATIONS.get(str(route.name))
        if operation is None:
            raise KeyError(
                f"route {route.name!r} ({route.path}) is not described in callvault.api.openapi_operations"
            )
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(str(route.path_format), {})[method.lower()] = _operation(route, operation)
    return {
        "openapi": "3.1.0",
        "info": {"title": app.title, "version": app.version, "description": DESCRIPTION},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": component_schemas(), "securitySchemes": SECURITY_SCHEMES},
        "security": [{"Basic": []}, {"OAuth2": []}],
    }


def install_openapi(app: FastAPI) -> None:
    """Serve `build_openapi(app)` at the app's openapi_url (built once, on first request)."""
    document: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not document:
            document.update(build_openapi(app))
        return document

    app.openapi = openapi  # type: ignore[method-assign]
