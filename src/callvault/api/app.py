"""create_app(settings): the FastAPI application with lifespan-built services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from callvault.api.auth import RateLimiter
from callvault.api.errors import install_error_handlers
from callvault.api.metrics import MetricsMiddleware, build_metrics
from callvault.api.routes import calls, health, ingest, recordings, ui
from callvault.jobs.runner import JobRunner
from callvault.jobs.wiring import build_handlers
from callvault.services.container import Services, build_services
from callvault.settings import Settings

API_PREFIXES = ("", "/api/v2")


def _start_workers(services: Services) -> JobRunner | None:
    settings = services.settings
    if not settings.run_workers or settings.worker_threads <= 0:
        return None
    runner = JobRunner(
        services.store,
        build_handlers(services),
        threads=settings.worker_threads,
        lease_seconds=settings.job_lease_seconds,
        poll_seconds=settings.job_poll_seconds,
        name="serve",
    )
    runner.start()
    return runner


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = services or build_services(settings, migrate=settings.migrate_on_start)
        app.state.services = built
        app.state.rate_limiter = (
            RateLimiter(settings.rate_limit, settings.redis_url) if settings.rate_limit else None
        )
        runner = _start_workers(built)
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()
            if services is None:
                built.close()

    app = FastAPI(
        title="callvault",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.metrics = build_metrics()
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(ui.router)
    for prefix in API_PREFIXES:
        app.include_router(recordings.router, prefix=prefix)
        app.include_router(calls.router, prefix=prefix)
        app.include_router(ingest.router, prefix=prefix)
    return app
