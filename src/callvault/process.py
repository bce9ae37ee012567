"""The composition root: what one `callvault serve` or `callvault worker` process runs.

`serve_app` is the HTTP app with the job threads (and, with `--sip`, the SIP listener) beside it;
`app_from_environment` is the same for `uvicorn --factory callvault.process:app_from_environment`
(multi-process serve); `job_runner` is the runner of a `callvault worker`; `sip_listener` is the
SIPREC recording server of `callvault serve --sip` and `callvault sip`. A serving process finishes the
live recordings that killed processes left spooled in its data dir (at start-up and then every few
seconds), and ends the calls recorded from outside whose process is gone. Every process that runs
jobs asks for a media sweep as it starts, so a restart after a crash
cleans up what the crash left.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from callvault.api.app import create_app
from callvault.api.sip.listener import build_sip_server, plan_listener
from callvault.api.sip.server import SipServer
from callvault.jobs.runner import JobRunner
from callvault.jobs.wiring import build_handlers
from callvault.services.call_liveness import CallLivenessLoop
from callvault.services.container import Services
from callvault.services.media_sweep import schedule_sweep
from callvault.services.retention import schedule_retention
from callvault.settings import Settings


def job_runner(services: Services, *, threads: int, name: str) -> JobRunner:
    """The job runner of this process (not started), with a media sweep and a retention run asked for
    at once."""
    settings = services.settings
    schedule_sweep(services.store, delay_seconds=0)
    schedule_retention(services.store, delay_seconds=0)
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


def sip_listener(services: Services, listen: str) -> SipServer:
    """The SIPREC recording server of `callvault serve --sip` or `callvault sip` (ValueError for
    settings that cannot work)."""
    return build_sip_server(services, listen)


def check_sip_settings(settings: Settings) -> None:
    """ValueError with the reason when the SIP settings cannot work (before anything starts)."""
    if settings.sip_listen:
        plan_listener(settings, settings.sip_listen)


async def start_sip_listener(services: Services) -> Callable[[], Awaitable[None]]:
    assert services.settings.sip_listen
    server = sip_listener(services, services.settings.sip_listen)
    await server.start()
    return server.stop


def start_liveness_chores(services: Services) -> Callable[[], None]:
    """What every process that holds live calls runs beside them: finish the live recordings that
    killed processes left spooled, and end the calls recorded from outside whose process is gone
    (``services.call_liveness``). Returns what stops the liveness loop."""
    services.live.spools.start_recovery()
    return CallLivenessLoop(services).start().stop


def start_serving_chores(services: Services) -> Callable[[], None] | None:
    """Beside the app: the liveness chores (spool recovery, orphaned calls) and the job threads; then
    the start-up heap is frozen (:func:`freeze_start_up_heap`)."""
    stop_liveness = start_liveness_chores(services)
    stop_jobs = start_job_threads(services)
    freeze_start_up_heap()

    def stop() -> None:
        stop_liveness()
        if stop_jobs is not None:
            stop_jobs()

    return stop


def freeze_start_up_heap() -> None:
    """Collect what start-up left, then exempt everything still alive (modules, the app, its services:
    about 170,000 objects) from the cyclic garbage collector. A full collection walks every tracked
    object, which took ~75 ms here and stopped every request meanwhile: the GET's p99 at 32
    connections fell from 56-75 ms to 9-15 ms. What is created later is collected as before."""
    gc.collect()
    gc.freeze()


def serve_app(settings: Settings) -> FastAPI:
    listener = start_sip_listener if settings.sip_listen else None
    return create_app(settings, background=start_serving_chores, listener=listener)


def app_from_environment() -> FastAPI:
    """The app of one of `serve --workers N`'s processes (each configures its own logging)."""
    quiet_refused_handshakes()
    return serve_app(Settings())


def quiet_refused_handshakes() -> None:
    """Drop uvicorn's "ASGI callable returned without completing handshake" (its websockets-sansio
    protocol logs it for every WebSocket the app refuses with an HTTP answer: 401/403/404/429). Not an
    error here: every WebSocket route accepts, closes or refuses."""
    logging.getLogger("uvicorn.error").addFilter(_not_refused_handshake_noise)


def _not_refused_handshake_noise(record: logging.LogRecord) -> bool:
    return record.getMessage() != "ASGI callable returned without completing handshake."
