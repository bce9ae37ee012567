"""`callvault media encrypt`: encrypt media stored before encryption was on, in the same store.

Each plaintext blob is copied into a new encrypted blob, read back and checked (its sha256 must be
the recording's), and only then does the recording point at it, in a transaction that also queues the
plaintext blob's purge (after the purge grace, so downloads under way finish). Resumable: a recording
already switched is skipped; a copy a killed run left behind is an orphan blob the media sweep removes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from callvault.media.encrypted import EncryptedBlobStore
from callvault.services.media_keys import MediaKeyDirectory, seal_if_customer_held
from callvault.services.recordings import enqueue_purge
from callvault.store import media_keys_repo
from callvault.store.database import MetadataStore

BATCH = 100


@dataclass
class EncryptionReport:
    encrypted: int = 0
    bytes_encrypted: int = 0
    changed_meanwhile: int = 0
    failed: list[str] = field(default_factory=list)
    """'<recordingId>: why' for each recording left as it was."""


def plaintext_media_totals(store: MetadataStore) -> tuple[int, int]:
    with store.read() as conn:
        return media_keys_repo.count_plaintext_media(conn)


def encrypt_plaintext_media(
    store: MetadataStore,
    blobs: EncryptedBlobStore,
    media_keys: MediaKeyDirectory,
    *,
    purge_grace: float,
    on_bytes: Callable[[int], None] = lambda n: None,
) -> EncryptionReport:
    run = _Encryption(store, blobs, media_keys, purge_grace, on_bytes)
    after = 0
    while True:
        with store.read() as conn:
            rows = media_keys_repo.plaintext_media(conn, after, BATCH)
        if not rows:
            return run.report
        for row_id, account_id, recording_id, key in rows:
            after = row_id
            try:
                run.encrypt_one(row_id, account_id, recording_id, key)
            except Exception as exc:  # one bad blob must not stop the others; it is reported
                run.report.failed.append(f"{recording_id}: {type(exc).__name__}: {exc}")


@dataclass
class _Encryption:
    store: MetadataStore
    blobs: EncryptedBlobStore
    media_keys: MediaKeyDirectory
    purge_grace: float
    on_bytes: Callable[[int], None]
    report: EncryptionReport = field(default_factory=EncryptionReport)

    def encrypt_one(self, row_id: int, account_id: str, recording_id: str, key: str) -> None:
        new_key = self.blobs.new_key(PurePosixPath(key).suffix)
        info = self.blobs.write(new_key, self._counted(key))
        check = hashlib.sha256()
        for chunk in self.blobs.open(new_key):
            check.update(chunk)
        with self.store.read() as conn:
            expected = media_keys_repo.recording_sha256(conn, row_id)
        if check.hexdigest() != info.sha256 or (expected is not None and expected != info.sha256):
            self.blobs.delete(new_key)
            self.report.failed.append(
                f"{recording_id}: the encrypted copy does not read back as the recording"
            )
            return
        with self.store.write() as conn:
            switched = media_keys_repo.switch_recording_media(conn, row_id, key, new_key)
            if switched:
                enqueue_purge(conn, key, self.purge_grace)
                seal_if_customer_held(conn, self.media_keys, account_id, recording_id, new_key)
        if not switched:
            self.blobs.delete(new_key)
            self.report.changed_meanwhile += 1
            return
        self.report.encrypted += 1
        self.report.bytes_encrypted += info.size

    def _counted(self, key: str) -> Iterator[bytes]:
        for chunk in self.blobs.open(key):  # a plaintext blob: read as stored
            self.on_bytes(len(chunk))
            yield chunk
