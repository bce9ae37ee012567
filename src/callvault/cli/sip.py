"""`callvault sip`: a SIPREC recording server process without HTTP (start as many as you like, each
on its own address; it needs the database, the blob store and, for API pause/resume to reach it
from `callvault serve`, a shared control bus: PostgreSQL or Redis)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import typer

from callvault.cli.common import DataDirOption, console, fail, load_settings, open_services
from callvault.cli.serve import configure_logging
from callvault.process import sip_listener, start_liveness_chores


def sip(
    listen: str = typer.Option(None, "--listen", help="HOST:PORT to listen on (env CALLVAULT_SIP_LISTEN)"),
    data_dir: Path = DataDirOption,
) -> None:
    """Run the SIPREC recording server (UDP and TCP) until interrupted."""
    settings = load_settings(data_dir=data_dir, sip_listen=listen)
    address = settings.sip_listen
    if not address:
        fail("give --listen HOST:PORT (or set CALLVAULT_SIP_LISTEN)")
        return
    configure_logging(settings.log_level)
    services = open_services(settings, migrate=False)
    try:
        server = sip_listener(services, address)
    except ValueError as exc:
        services.close()
        fail(str(exc))

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await server.start()
        except OSError as exc:
            fail(f"cannot listen on {address}: {exc.strerror or exc}")
        console.print(
            f"callvault SIPREC recording server on {settings.sip_listen} ({settings.sip_transports})"
        )
        await stop.wait()
        await server.stop()

    stop_liveness = start_liveness_chores(services)
    try:
        asyncio.run(run())
    finally:
        stop_liveness()
        services.close()
