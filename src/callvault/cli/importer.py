"""`callvault import FILE_OR_DIR...`: upload finished recordings through the HTTP ingest API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import httpx
import typer

from callvault.cli.common import byte_progress, fail
from callvault.domain.ids import new_call_id

AUDIO_SUFFIXES = {".wav", ".mp3"}


class _CountingReader:
    """A file wrapper that reports how many bytes the upload has read."""

    def __init__(self, f: BinaryIO, on_read: Callable[[int], None]) -> None:
        self._f, self._on_read = f, on_read

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(size)
        self._on_read(len(data))
        return data

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(1 << 16):
            yield chunk


def collect_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
            )
        elif path.is_file():
            found.append(path)
        else:
            fail(f"{path} does not exist")
    return found


def _metadata(**fields: str | None) -> str:
    return json.dumps({k: v for k, v in fields.items() if v is not None})


def import_recordings(
    paths: list[Path] = typer.Argument(..., help="WAV/MP3 files or folders of them"),
    account: str = typer.Option(..., "--account", help="Account id"),
    call: str = typer.Option(None, "--call", help="Call id for every file (default: a new call per file)"),
    from_: str = typer.Option(None, "--from", help="Caller number"),
    to: str = typer.Option(None, "--to", help="Called number"),
    direction: str = typer.Option(None, "--direction", help="inbound or outbound"),
    start_time: str = typer.Option(None, "--start-time", help="ISO-8601 start time"),
    url: str = typer.Option("http://127.0.0.1:8080", "--url", envvar="CALLVAULT_URL"),
    username: str = typer.Option(..., "--username", envvar="CALLVAULT_USERNAME"),
    password: str = typer.Option(..., "--password", envvar="CALLVAULT_PASSWORD"),
) -> None:
    """Import recordings with a progress bar; prints each new recording id."""
    files = collect_files(paths)
    if not files:
        fail("no .wav or .mp3 files found")
    total = sum(f.stat().st_size for f in files)
    meta = _metadata(**{"from": from_, "to": to, "direction": direction, "startTime": start_time})
    try:
        failures = _upload(files, total, url, username, password, account, call, meta)
    except httpx.HTTPError as exc:
        fail(f"cannot import to {url}: {exc or type(exc).__name__}")
    if failures:
        fail(f"{failures} of {len(files)} file(s) failed")


def _upload(
    files: list[Path],
    total: int,
    url: str,
    username: str,
    password: str,
    account: str,
    call: str | None,
    meta: str,
) -> int:
    """Upload each file; the number that the server refused."""
    failures = 0
    with (
        httpx.Client(base_url=url, auth=(username, password), timeout=600) as client,
        byte_progress() as progress,
    ):
        task = progress.add_task(f"importing {len(files)} file(s)", total=total)
        for path in files:
            call_id = call or new_call_id()
            with path.open("rb") as f:
                reader = _CountingReader(f, lambda n: progress.advance(task, n))
                try:
                    response = client.post(
                        f"/ingest/accounts/{account}/calls/{call_id}/recordings",
                        data={"metadata": meta},
                        files={"media": (path.name, reader, "application/octet-stream")},  # type: ignore[dict-item]
                    )
                except httpx.HTTPError:
                    progress.remove_task(task)  # the error is the one line left to read
                    raise
            if response.status_code == 201:
                body = response.json()
                progress.console.print(f"{path}: {body['recordingId']} ({body['duration']}, call {call_id})")
            else:
                failures += 1
                progress.console.print(f"[red]{path}: {response.status_code} {response.text}[/red]")
    return failures
