"""`callvault serve` and `callvault worker`."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from pathlib import Path

import typer
import uvicorn

from callvault.cli.common import DataDirOption, console, fail, load_settings, open_services
from callvault.process import check_sip_settings, job_runner, quiet_refused_handshakes, serve_app
from callvault.services.container import ensure_dev_user


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    quiet_refused_handshakes()


def _export_settings(host: str, port: int, data_dir: Path) -> None:
    os.environ["CALLVAULT_HOST"] = host
    os.environ["CALLVAULT_PORT"] = str(port)
    os.environ["CALLVAULT_DATA_DIR"] = str(data_dir)


def _require_free_port(host: str, port: int) -> None:
    """One clear line, before anything says "serving", when the address cannot be listened on."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def serve(
    host: str = typer.Option(None, help="Address to bind (env CALLVAULT_HOST, default 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (env CALLVAULT_PORT, default 8080)"),
    data_dir: Path = DataDirOption,
    workers: int = typer.Option(1, "--workers", min=1, help="Server processes on this machine"),
    dev_user: bool = typer.Option(False, "--dev-user", help="Create a development user on an empty database"),
    sip: str = typer.Option(
        None, "--sip", help="Also be a SIPREC recording server on HOST:PORT (UDP and TCP)"
    ),
) -> None:
    """Start the HTTP server (its job worker threads, and with --sip the SIP listener)."""
    settings = load_settings(host=host, port=port, data_dir=data_dir, sip_listen=sip)
    if settings.sip_listen:
        if workers > 1:
            fail("--sip runs in one process: use --workers 1, or run `callvault sip` beside the server")
        try:
            check_sip_settings(settings)
        except ValueError as exc:
            fail(str(exc))
    configure_logging(settings.log_level)
    _require_free_port(settings.host, settings.port)
    services = open_services(settings, migrate=True, create_master_key=True)
    if dev_user or settings.create_dev_user:
        hint = ensure_dev_user(services)
        if hint:
            console.print(hint, soft_wrap=True)
    services.close()
    console.print(
        f"callvault serving on http://{settings.host}:{settings.port} "
        f"(data {settings.data_dir.resolve()}, database {settings.resolved_database_url.split('://')[0]})",
        soft_wrap=True,
    )
    if workers > 1:
        _export_settings(settings.host, settings.port, settings.data_dir)
        os.environ["CALLVAULT_MIGRATE_ON_START"] = "false"
        uvicorn.run(
            "callvault.process:app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            log_level=settings.log_level,
            access_log=settings.access_log,
            ws=settings.websocket_implementation,
            loop=settings.resolved_event_loop,
        )
        return
    settings = settings.model_copy(update={"migrate_on_start": False})
    uvicorn.run(
        serve_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        ws=settings.websocket_implementation,
        loop=settings.resolved_event_loop,
    )


def worker(
    data_dir: Path = DataDirOption,
    concurrency: int = typer.Option(2, "--concurrency", min=1, help="Jobs run at once by this process"),
) -> None:
    """Run jobs (transcriptions, webhooks, purges) without serving HTTP; start as many as you like."""
    settings = load_settings(data_dir=data_dir)
    configure_logging(settings.log_level)
    services = open_services(settings, migrate=False)
    runner = job_runner(services, threads=concurrency, name="worker")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runner.start()
    console.print(f"callvault worker running {concurrency} job threads; Ctrl-C stops it")
    stop.wait()
    runner.stop()
    services.close()
