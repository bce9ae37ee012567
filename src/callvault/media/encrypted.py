"""The blob store that encrypts: every writer and reader of recordings' media goes through it.

:class:`EncryptedBlobStore` wraps any :class:`~callvault.media.blobstore.BlobStore`. A write asks its
:class:`DataKeySource` for a fresh per-blob data key (the source stores it wrapped) and stores the
blob in the chunked AES-256-GCM format of :mod:`callvault.media.chunked_cipher`; a read of a range
fetches and decrypts only the chunks that hold it. A blob with no data key is one written before
encryption (plaintext): it is read as it is until ``callvault media encrypt`` migrates it. Sizes and
sha256 digests it reports are the plaintext's.

Errors come early: :meth:`EncryptedBlobStore.open` checks the header and the first chunk of the range
before it returns, so a damaged start, a missing or sealed data key is an exception at the call (the
API answers it with an error envelope) and never a response that has begun; a later damaged chunk
ends the stream before any of its bytes are yielded.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from callvault.media import chunked_cipher as cipher
from callvault.media.blobstore import (
    BlobEntry,
    BlobInfo,
    BlobStore,
    BlobStoreError,
    Chunk,
    MeasuredChunks,
    PartialWrite,
)
from callvault.media.chunked_cipher import BlobIntegrityError

__all__ = [
    "BlobIntegrityError",
    "DataKeySource",
    "EncryptedBlobStore",
    "MediaKeyUnavailable",
    "StoredKey",
]


class MediaKeyUnavailable(BlobStoreError):
    """The blob is encrypted but this server cannot decrypt it (sealed to a customer key, or its
    master key is not loaded); the text says which."""

    def __init__(self, key: str, reason: str, *, sealed: bool = False) -> None:
        super().__init__(f"the data key of blob {key!r} is not available: {reason}")
        self.sealed = sealed


@dataclass(frozen=True)
class StoredKey:
    """A blob's data key as the key source holds it."""

    data_key: bytes | None
    """The plaintext data key; None when this server cannot unwrap it (``reason`` says why)."""
    reason: str = ""
    sealed: bool = False
    """Wrapped to the account's public key: only its private-key holder can decrypt."""


class DataKeySource(Protocol):
    """Where data keys live, wrapped (the services layer keeps them in the database)."""

    def create(self, blob_key: str, data_key: bytes) -> None:
        """Store ``data_key`` (wrapped) for a blob about to be written under ``blob_key``."""
        ...

    def lookup(self, blob_key: str) -> StoredKey | None:
        """The blob's data key; None when the blob has none (it was stored in plaintext)."""
        ...

    def forget(self, blob_key: str) -> None:
        """Drop the blob's data key (the blob is gone, or was never written)."""
        ...


class EncryptedBlobStore:
    """A :class:`BlobStore` that encrypts writes (unless ``encrypt_writes`` is off) and decrypts reads."""

    def __init__(
        self,
        inner: BlobStore,
        data_keys: DataKeySource,
        *,
        encrypt_writes: bool = True,
        chunk_size: int = cipher.DEFAULT_CHUNK_SIZE,
    ) -> None:
        self.inner = inner
        self.data_keys = data_keys
        self.encrypt_writes = encrypt_writes
        self.chunk_size = chunk_size

    def __repr__(self) -> str:
        return f"EncryptedBlobStore({self.inner!r})"

    def new_key(self, suffix: str) -> str:
        return self.inner.new_key(suffix)

    def write(
        self, key: str, chunks: Iterable[Chunk], *, max_size: int | None = None, digest: bool = True
    ) -> BlobInfo:
        if not self.encrypt_writes:
            return self.inner.write(key, chunks, max_size=max_size, digest=digest)
        data_key = cipher.new_data_key()
        self.data_keys.create(key, data_key)
        plaintext = cipher.PlaintextDigest()
        try:
            sealed = cipher.encrypt_stream(
                data_key,
                cipher.new_header(self.chunk_size),
                MeasuredChunks(chunks, max_size, digest=False),
                plaintext,
            )
            self.inner.write(key, sealed, digest=False)  # the plaintext is what is hashed
        except BaseException:
            self.data_keys.forget(key)
            raise
        return BlobInfo(key=key, size=plaintext.size, sha256=plaintext.sha256)

    def open(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 1 << 16
    ) -> Iterator[bytes]:
        stored = self.data_keys.lookup(key)
        if stored is None:
            return self._open_plaintext(key, start, end, chunk_size)
        if stored.data_key is None:
            raise MediaKeyUnavailable(key, stored.reason, sealed=stored.sealed)
        return self._open_encrypted(key, stored.data_key, start, end, chunk_size)

    def open_stored(self, key: str, chunk_size: int = 1 << 16) -> Iterator[bytes]:
        """The blob's bytes exactly as stored (ciphertext for an encrypted blob)."""
        return self.inner.open(key, chunk_size=chunk_size)

    def size(self, key: str) -> int:
        stored_size = self.inner.size(key)
        if self.data_keys.lookup(key) is None:
            return stored_size
        header = cipher.parse_header(b"".join(self.inner.open(key, 0, cipher.HEADER_SIZE - 1)))
        return cipher.plaintext_size(stored_size, header.chunk_size)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def delete(self, key: str) -> None:
        self.inner.delete(key)
        self.data_keys.forget(key)

    def keys(self) -> Iterator[str]:
        return self.inner.keys()

    def entries(self) -> Iterator[BlobEntry]:
        return self.inner.entries()

    def remove_partial_writes(self, older_than: datetime, *, dry_run: bool = False) -> list[PartialWrite]:
        return self.inner.remove_partial_writes(older_than, dry_run=dry_run)

    def local_path(self, key: str) -> Path | None:
        """The plaintext blob's file; None for an encrypted one (there is no plaintext file)."""
        return self.inner.local_path(key) if self.data_keys.lookup(key) is None else None

    def _open_plaintext(self, key: str, start: int, end: int | None, chunk_size: int) -> Iterator[bytes]:
        if cipher.is_encrypted(b"".join(self.inner.open(key, 0, len(cipher.MAGIC) - 1))):
            raise BlobIntegrityError(f"blob {key!r} is encrypted but no data key for it is stored")
        return self.inner.open(key, start, end, chunk_size)

    def _open_encrypted(
        self, key: str, data_key: bytes, start: int, end: int | None, chunk_size: int
    ) -> Iterator[bytes]:
        stored_size = self.inner.size(key)
        header = cipher.parse_header(b"".join(self.inner.open(key, 0, cipher.HEADER_SIZE - 1)))
        plain_size = cipher.plaintext_size(stored_size, header.chunk_size)
        if start >= plain_size:  # nothing to read; but a blob cut short must not pass for a short one
            _verify_final_chunk(self.inner, key, data_key, header, plain_size)
            return iter(())
        span = cipher.chunk_span(start, plain_size - 1 if end is None else end, plain_size, header.chunk_size)
        per_piece = max(1, chunk_size // header.chunk_size)  # a download's 1 MiB pieces
        stored = self.inner.open(key, span.blob_start, span.blob_end, header.unit * per_piece)
        plain = cipher.decrypt_span(data_key, header, span, stored, chunks_per_piece=per_piece)
        first = next(plain)  # the first piece's check happens here, before any response starts
        return itertools.chain([first], plain)


def _verify_final_chunk(
    inner: BlobStore, key: str, data_key: bytes, header: cipher.BlobHeader, plain_size: int
) -> None:
    final = cipher.chunk_count(plain_size, header.chunk_size) - 1
    stored = b"".join(inner.open(key, cipher.HEADER_SIZE + final * header.unit))
    cipher.open_chunk(cipher.AESGCM(data_key), header, final, stored, final=True)
