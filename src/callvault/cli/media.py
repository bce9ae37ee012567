"""`callvault media migrate --to s3://bucket/prefix`."""

from __future__ import annotations

from pathlib import Path

import typer

from callvault.cli.common import DataDirOption, byte_progress, console, fail, load_settings, open_services
from callvault.media.blobstore import BlobStoreUnavailable, open_blob_store
from callvault.services.media_migration import ChecksumMismatch, migrate_media, total_media_bytes
from callvault.store import system_settings_repo

app = typer.Typer(help="Media storage.", no_args_is_help=True)


@app.command("migrate")
def migrate(
    to: str = typer.Option(..., "--to", help="Target store: s3://bucket/prefix or a directory"),
    data_dir: Path = DataDirOption,
) -> None:
    """Copy every recording's media to the target, verify each by sha256, then switch over.

    Processes started afterwards use the target; reads of anything they do not find there fall back
    to the old store, so a recording written meanwhile by a process still on the old store is kept.
    Run it again to copy such stragglers.
    """
    settings = load_settings(data_dir=data_dir)
    services = open_services(settings)
    with services.store.read() as conn:
        switched = system_settings_repo.get(conn, system_settings_repo.MEDIA_URL)
        previous = system_settings_repo.get(conn, system_settings_repo.PREVIOUS_MEDIA_URL)
    source_url = switched or settings.resolved_media_url
    if to == source_url and previous:
        source_url = previous  # a second run: copy what reached the old store after the switch
    elif to == source_url:
        fail(f"the media is already in {to}")
    try:
        source = open_blob_store(source_url)
        target = open_blob_store(to)
    except (BlobStoreUnavailable, ValueError) as exc:
        fail(str(exc))
    total = total_media_bytes(services.store)
    with byte_progress() as progress:
        task = progress.add_task(f"copying media to {to}", total=total)
        try:
            report = migrate_media(
                services.store,
                source,
                target,
                source_url=source_url,
                target_url=to,
                on_bytes=lambda n: progress.advance(task, n),
            )
        except ChecksumMismatch as exc:
            fail(f"verification failed, nothing was switched: {exc}")
    console.print(
        f"copied {report.copied} blob(s) ({report.bytes_copied} bytes), "
        f"{report.already_there} already there; this database now uses {to}"
    )
    if report.missing_in_source:
        console.print(
            f"[yellow]{len(report.missing_in_source)} recording(s) had no bytes in the source[/yellow]"
        )
