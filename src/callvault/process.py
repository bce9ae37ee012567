"""The composition root: what one `callvault serve` or `callvault worker` process runs.

`serve_app` is the HTTP app with the job threads beside it; `app_from_environment` is the same for
`uvicorn --factory callvault.process:app_from_environment` (multi-process serve); `job_runner` is the
runner of a `callvault worker`.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from callvault.api.app import create_app
from callvault.jobs.runner import JobRunner
from callvault.jobs.wiring import build_handlers
from callvault.services.container import Services
from callvault.settings import Settings


def job_runner(services: Services, *, threads: int, name: str) -> JobRunner:
    settings = services.settings
    return JobRunner(
        services.store,
        build_handlers(services),
        threads=threads,
        lease_seconds=settings.job_lease_seconds,
        poll_seconds=settings.job_poll_seconds,
        name=name,
    )


def start_job_threads(services: Services) -> Callable[[], None] | None:
    """The job threads of `callvault serve` (none when the settings turn them off)."""
    settings = services.settings
    if not settings.run_workers or settings.worker_threads <= 0:
        return None
    runner = job_runner(services, threads=settings.worker_threads, name="serve")
    runner.start()
    return runner.stop


def serve_app(settings: Settings) -> FastAPI:
    return create_app(settings, background=start_job_threads)


def app_from_environment() -> FastAPI:
    return serve_app(Settings())
