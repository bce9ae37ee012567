"""Sweeping the media store of what killed processes left behind.

Two kinds of leftover: *partial writes* (the temp file, or the S3 multipart upload, of a write that
never finished) and *orphan blobs* (a write that finished, but the process died before the row that
names it committed). Both are removed only once older than the sweep age, so a write in progress, or
a blob whose row is about to commit, is never touched. A blob that a queued purge job names is left to
that job, which removes it after the purge grace.

Every process that runs jobs asks for a sweep when it starts (:func:`schedule_sweep`); each sweep job
schedules the next one a sweep age later; `callvault media sweep` runs one by hand (with a dry run).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from callvault.domain.jobs import PURGE_MEDIA_JOB, SWEEP_MEDIA_JOB
from callvault.domain.timefmt import utcnow
from callvault.media.blobstore import BlobEntry, BlobStore, PartialWrite
from callvault.store import jobs_repo, recordings_repo
from callvault.store.database import MetadataStore

__all__ = ["SweepReport", "schedule_sweep", "sweep_media"]

log = logging.getLogger("callvault.media")

_BATCH = 500


@dataclass
class SweepReport:
    """What one sweep removed (with ``dry_run``: would remove)."""

    dry_run: bool
    partial_writes: list[PartialWrite] = field(default_factory=list)
    orphan_blobs: list[BlobEntry] = field(default_factory=list)

    @property
    def bytes_freed(self) -> int:
        partial = sum(item.size or 0 for item in self.partial_writes)
        return partial + sum(entry.size for entry in self.orphan_blobs)

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return (
            f"media sweep {verb} {len(self.partial_writes)} partial write(s) and "
            f"{len(self.orphan_blobs)} orphan blob(s), {self.bytes_freed} bytes"
        )


def sweep_media(
    store: MetadataStore, blobs: BlobStore, *, older_than_seconds: float, dry_run: bool = False
) -> SweepReport:
    """Remove partial writes and orphan blobs last written more than ``older_than_seconds`` ago."""
    cut_off = utcnow() - timedelta(seconds=older_than_seconds)
    report = SweepReport(dry_run=dry_run)
    report.partial_writes = blobs.remove_partial_writes(cut_off, dry_run=dry_run)
    with store.read() as conn:
        purging = {
            payload.get("media_key") for payload in jobs_repo.unfinished_payloads(conn, PURGE_MEDIA_JOB)
        }
    old_enough = (entry for entry in blobs.entries() if entry.modified < cut_off)
    for batch in _batches(old_enough):
        with store.read() as conn:
            named = recordings_repo.named_media_keys(conn, [entry.key for entry in batch])
        for entry in batch:
            if entry.key in named or entry.key in purging:
                continue
            if not dry_run:
                blobs.delete(entry.key)
            report.orphan_blobs.append(entry)
    for item in report.partial_writes:
        log.info("media sweep: %s partial write %s", "found" if dry_run else "removed", item.name)
    for entry in report.orphan_blobs:
        log.warning(
            "media sweep: %s orphan blob %s (%d bytes)",
            "found" if dry_run else "removed",
            entry.key,
            entry.size,
        )
    log.info("%s", report.summary())
    return report


def schedule_sweep(store: MetadataStore, *, delay_seconds: float) -> None:
    """Make sure a sweep job runs within ``delay_seconds`` (one queued sweep at a time)."""
    with store.write() as conn:
        jobs_repo.enqueue_once(conn, SWEEP_MEDIA_JOB, {}, now=utcnow(), delay_seconds=delay_seconds)


def _batches(entries: Iterable[BlobEntry]) -> Iterator[list[BlobEntry]]:
    iterator = iter(entries)
    while batch := list(itertools.islice(iterator, _BATCH)):
        yield batch
