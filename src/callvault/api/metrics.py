"""Prometheus metrics of the HTTP layer: request counters and latency (the operators' numbers of the
services are in `services.telemetry`; /metrics serves both)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class Metrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram


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
    )


class MetricsMiddleware:
    """Pure ASGI middleware: counts requests and times them by route template and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        """(request counter, latency histogram) of each method, route and status seen: looking a
        labelled series up in prometheus_client takes a lock and costs more than counting in it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"
            key = (scope["method"], template, status)
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = (
                    self.metrics.requests.labels(key[0], template, str(status)),
                    self.metrics.latency.labels(key[0], template),
                )
            series[0].inc()
            series[1].observe(time.perf_counter() - started)
