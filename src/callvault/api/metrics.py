"""Prometheus metrics: one registry per app, request counters and latency, job queue depth."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from callvault.store import jobs_repo
from callvault.store.database import MetadataStore


@dataclass
class Metrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    jobs: Gauge


def build_metrics() -> Metrics:
    registry = CollectorRegistry()
    return Metrics(
        registry=registry,
        requests=Counter(
            "callvault_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
        ),
        latency=Histogram(
            "callvault_http_request_seconds", "Request latency", ["method", "route"], registry=registry
        ),
        jobs=Gauge("callvault_jobs", "Jobs by kind and state", ["kind", "state"], registry=registry),
    )


def _route_template(request: Request) -> str:
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match == Match.FULL:
            return str(getattr(route, "path", "unmatched"))
    return "unmatched"


def metrics_middleware(
    metrics: Metrics,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = _route_template(request)
        metrics.requests.labels(request.method, route, str(response.status_code)).inc()
        metrics.latency.labels(request.method, route).observe(time.perf_counter() - started)
        return response

    return middleware


def refresh_job_gauges(metrics: Metrics, store: MetadataStore) -> None:
    with store.read() as conn:
        counts = jobs_repo.count_by_state(conn)
    for (kind, state), count in counts.items():
        metrics.jobs.labels(kind, state).set(count)
