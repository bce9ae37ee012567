"""Liveness and metrics (/metrics may require a bearer token or a Basic user: CALLVAULT_METRICS_TOKEN,
CALLVAULT_METRICS_USER)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from callvault.api.auth import authenticate, services_of
from callvault.domain.errors import AccessDenied, AuthenticationFailed

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    with services_of(request).store.read() as conn:
        conn.exec_driver_sql("SELECT 1")
    return JSONResponse({"status": "ok"})


def _require_metrics_access(request: Request) -> None:
    settings = services_of(request).settings
    token, user = settings.metrics_token, settings.metrics_user
    if not token and not user:
        return
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if token and scheme.lower() == "bearer":
        if hmac.compare_digest(credentials.strip().encode(), token.encode()):
            return
        raise AuthenticationFailed("Invalid bearer token for /metrics")
    if not user:
        raise AuthenticationFailed(
            "Missing credentials: /metrics needs its bearer token",
            headers={"WWW-Authenticate": 'Bearer realm="callvault-metrics"'},
        )
    principal = authenticate(request)
    if principal.name != user:
        raise AccessDenied(f"User {principal.name} may not read /metrics")


@router.get("/metrics")
def metrics(request: Request) -> Response:
    _require_metrics_access(request)
    text = generate_latest(request.app.state.metrics.registry)
    text += generate_latest(services_of(request).telemetry.registry)
    return Response(text, media_type=CONTENT_TYPE_LATEST)
