"""Settings from flags over environment, and errors printed the way a person wants to read them."""

from __future__ import annotations

import getpass
import os
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from callvault.media.blobstore import BlobStoreUnavailable
from callvault.media.master_keys import MasterKeyError
from callvault.services.container import MediaStoreMismatch, Services, build_services
from callvault.settings import Settings
from callvault.store.migrate import SchemaTooNew

console = Console(stderr=True)
out = Console()

DataDirOption = typer.Option(None, "--data-dir", help="Data directory (env CALLVAULT_DATA_DIR)")


def load_settings(**overrides: Any) -> Settings:
    """Settings from the flags given and CALLVAULT_* variables; a bad value is one line naming it."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = [
            f"CALLVAULT_{'_'.join(str(part) for part in error['loc']).upper()}={error.get('input')!r}: "
            f"{error['msg']}"
            for error in exc.errors()
        ]
        fail("invalid setting " + "; ".join(problems))
        raise


def open_services(settings: Settings, *, migrate: bool = True, create_master_key: bool = False) -> Services:
    """build_services, with the start-up refusals printed as one clear line instead of a traceback."""
    try:
        return build_services(settings, migrate=migrate, create_master_key=create_master_key)
    except (MediaStoreMismatch, SchemaTooNew, BlobStoreUnavailable, MasterKeyError) as exc:
        fail(str(exc))
        raise


def byte_progress() -> Progress:
    """A progress bar for work measured in bytes: description, bar, bytes done, speed, time left."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def operator_name() -> str:
    """Who runs this command, as the access log names an operator."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)  # one line, however long
    raise typer.Exit(code)
