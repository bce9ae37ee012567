"""Liveness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from callvault.api.auth import services_of
from callvault.api.metrics import refresh_job_gauges

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    with services_of(request).store.read() as conn:
        conn.exec_driver_sql("SELECT 1")
    return JSONResponse({"status": "ok"})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    refresh_job_gauges(request.app.state.metrics, services_of(request))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
