"""Copy every recording's media to another blob store, verify it, and switch the database over."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from callvault.domain.records import Recording
from callvault.domain.timefmt import utcnow
from callvault.media.blobstore import BlobNotFound, BlobStore
from callvault.media.chunked_cipher import HEADER_SIZE, is_encrypted
from callvault.store import recordings_repo, system_settings_repo
from callvault.store.database import MetadataStore


class ChecksumMismatch(RuntimeError):
    pass


@dataclass
class MigrationReport:
    copied: int = 0
    already_there: int = 0
    bytes_copied: int = 0
    missing_in_source: list[str] = field(default_factory=list)


def recordings_with_media(store: MetadataStore, batch: int = 500) -> Iterator[Recording]:
    """Each recording with media; a redacted one's kept original comes as one more (its media_* fields
    naming the original)."""
    after = 0
    while True:
        with store.read() as conn:
            rows = recordings_repo.list_all_recordings(conn, after_id=after, limit=batch)
        if not rows:
            return
        for row in rows:
            if row.media_key:
                yield row
            if row.original_media_key:
                yield dataclasses.replace(
                    row,
                    media_key=row.original_media_key,
                    media_size=row.original_media_size,
                    media_sha256=row.original_media_sha256,
                )
        after = rows[-1].id or after


def _sha256_of(blobs: BlobStore, key: str) -> str:
    digest = hashlib.sha256()
    for chunk in blobs.open(key):
        digest.update(chunk)
    return digest.hexdigest()


def copy_one(
    source: BlobStore, target: BlobStore, recording: Recording, on_bytes: Callable[[int], None]
) -> bool:
    """Copy one blob unless the target already holds it intact; True when bytes were copied."""
    key = recording.media_key
    assert key is not None
    expected = recording.media_sha256
    if expected is not None and is_encrypted(b"".join(source.open(key, 0, HEADER_SIZE - 1))):
        expected = _sha256_of(source, key)  # the row's digest is the plaintext's: compare stored bytes
    if target.exists(key) and (expected is None or _sha256_of(target, key) == expected):
        on_bytes(recording.media_size or 0)
        return False

    def counted() -> Iterator[bytes]:
        for chunk in source.open(key):
            on_bytes(len(chunk))
            yield chunk

    info = target.write(key, counted())
    wanted = expected or _sha256_of(source, key)
    if info.sha256 != wanted:
        target.delete(key)
        raise ChecksumMismatch(f"{key}: copied sha256 {info.sha256} differs from {wanted}")
    return True


def migrate_media(
    store: MetadataStore,
    source: BlobStore,
    target: BlobStore,
    *,
    source_url: str,
    target_url: str,
    on_bytes: Callable[[int], None] = lambda n: None,
) -> MigrationReport:
    """Copy and verify every blob a row names, then record the switch (reads fall back to the source)."""
    report = MigrationReport()
    for recording in recordings_with_media(store):
        try:
            copied = copy_one(source, target, recording, on_bytes)
        except BlobNotFound:
            report.missing_in_source.append(recording.recording_id)
            continue
        if copied:
            report.copied += 1
            report.bytes_copied += recording.media_size or 0
        else:
            report.already_there += 1
    with store.write() as conn:
        system_settings_repo.put(conn, system_settings_repo.MEDIA_URL, target_url, utcnow())
        system_settings_repo.put(conn, system_settings_repo.PREVIOUS_MEDIA_URL, source_url, utcnow())
    return report


def total_media_bytes(store: MetadataStore) -> int:
    return sum(r.media_size or 0 for r in recordings_with_media(store))
