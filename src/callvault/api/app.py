"""create_app(settings): the FastAPI application with lifespan-built services.

Background work that a process runs beside the app (job threads) is started by the composition root
(`callvault.process`) through the `background` hook, so the HTTP layer never imports `jobs`; a
listener on the app's own event loop (the SIP listener of `serve --sip`) through `listener`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from callvault.api.access_log import AccessLogMiddleware
from callvault.api.auth import RateLimiter
from callvault.api.body_limits import BodyLimitMiddleware
from callvault.api.console.headers import ConsoleHeadersMiddleware
from callvault.api.console.routes import router as console_router
from callvault.api.direct_routes import DirectRoutes, direct_route
from callvault.api.errors import install_error_handlers
from callvault.api.metrics import MetricsMiddleware, build_metrics
from callvault.api.openapi import API_PREFIX, install_openapi
from callvault.api.routes import (
    calls,
    encryption,
    governance,
    health,
    ingest,
    oauth2,
    recordings,
    retention,
    streams,
)
from callvault.services.container import Services, build_services
from callvault.settings import Settings

PREFIXES = (API_PREFIX, "")
"""Where the API's routes are served: under /api/v2 (documented) and unprefixed (an alias, not listed)."""

Background = Callable[[Services], Callable[[], None] | None]
"""Starts work beside the app with its services; returns how to stop it (None: nothing started)."""

Listener = Callable[[Services], Awaitable[Callable[[], Awaitable[None]]]]
"""Starts a listener on the app's event loop (the SIP listener); returns how to stop it."""


def create_app(
    settings: Settings,
    services: Services | None = None,
    *,
    background: Background | None = None,
    listener: Listener | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = services or build_services(settings, migrate=settings.migrate_on_start)
        app.state.services = built
        app.state.rate_limiter = (
            RateLimiter(settings.rate_limit, settings.redis_url) if settings.rate_limit else None
        )
        stop_background = background(built) if background is not None else None
        stop_listener = await listener(built) if listener is not None else None
        try:
            yield
        finally:
            if stop_listener is not None:
                await stop_listener()
            if stop_background is not None:
                stop_background()
            await built.store.close_async()
            if services is None:
                built.close()

    app = FastAPIOffline(
        title="callvault",
        version=version("callvault"),
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        static_url="/docs/assets",
    )
    install_openapi(app)
    app.state.metrics = build_metrics()
    hottest = [
        direct_route(prefix + recordings.RECORDING, recordings.get_call_recording) for prefix in PREFIXES
    ]
    app.add_middleware(DirectRoutes, routes=hottest)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(ConsoleHeadersMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(console_router)
    app.include_router(oauth2.router)
    for prefix in PREFIXES:
        for router in (
            recordings.router,
            calls.router,
            ingest.router,
            streams.router,
            encryption.router,
            governance.router,
            retention.router,
        ):
            app.include_router(router, prefix=prefix, include_in_schema=prefix == API_PREFIX)
    return app
