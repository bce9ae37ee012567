"""`callvault media migrate --to s3://bucket/prefix`, `media sweep [--dry-run]` and `media encrypt`."""

from __future__ import annotations

from pathlib import Path

import typer

from callvault.cli.common import DataDirOption, byte_progress, console, fail, load_settings, open_services
from callvault.media.blobstore import BlobStoreUnavailable
from callvault.media.encrypted import EncryptedBlobStore
from callvault.media.store_url import open_blob_store
from callvault.services.media_encryption import encrypt_plaintext_media, plaintext_media_totals
from callvault.services.media_migration import ChecksumMismatch, migrate_media, total_media_bytes
from callvault.services.media_sweep import sweep_media
from callvault.settings import parse_duration_seconds
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


@app.command("sweep")
def sweep(
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be removed; remove nothing"),
    older_than: str = typer.Option(
        None, "--older-than", help="Age below which nothing is touched, e.g. 6h (env CALLVAULT_SWEEP_AGE)"
    ),
    data_dir: Path = DataDirOption,
) -> None:
    """Remove what killed processes left in the media store: partial writes and blobs no recording names.

    Prints one line per item, then a summary. Nothing newer than the sweep age is touched, so it is
    safe while servers run.
    """
    settings = load_settings(data_dir=data_dir)
    try:
        age = parse_duration_seconds(older_than) if older_than is not None else settings.sweep_age
    except ValueError as exc:
        fail(f"--older-than: {exc}")
        raise
    services = open_services(settings, migrate=False)
    try:
        report = sweep_media(services.store, services.blobs, older_than_seconds=age, dry_run=dry_run)
    finally:
        services.close()
    for item in report.partial_writes:
        typer.echo(f"partial write\t{item.name}\t{item.size if item.size is not None else '-'}")
    for entry in report.orphan_blobs:
        typer.echo(f"orphan blob\t{entry.key}\t{entry.size}")
    console.print(report.summary())


@app.command("encrypt")
def encrypt(data_dir: Path = DataDirOption) -> None:
    """Encrypt every recording stored before encryption was on, in place, verified, with a progress bar.

    Each copy is read back and checked against the recording's sha256 before the recording points at
    it; the plaintext blob is purged after the purge grace. Safe while servers run; run it again to
    resume or to pick up stragglers.
    """
    services = open_services(load_settings(data_dir=data_dir))
    if not isinstance(services.blobs, EncryptedBlobStore):
        fail("this process does not encrypt media")
        raise AssertionError
    count, total = plaintext_media_totals(services.store)
    try:
        with byte_progress() as progress:
            task = progress.add_task(f"encrypting {count} recording(s)", total=total)
            report = encrypt_plaintext_media(
                services.store,
                EncryptedBlobStore(
                    services.blobs.inner, services.media_keys
                ),  # even with CALLVAULT_ENCRYPT_MEDIA off
                services.media_keys,
                purge_grace=services.settings.purge_grace,
                on_bytes=lambda n: progress.advance(task, n),
            )
    finally:
        services.close()
    for line in report.failed:
        console.print(f"[red]{line}[/red]")
    console.print(
        f"encrypted {report.encrypted} recording(s) ({report.bytes_encrypted} bytes); "
        f"{report.changed_meanwhile} changed meanwhile, {len(report.failed)} failed"
    )
    if report.failed:
        raise typer.Exit(1)
