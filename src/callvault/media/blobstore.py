"""The BlobStore protocol: where recordings' audio lives, a directory or an S3 bucket
(``callvault.media.store_url.open_blob_store`` builds the one a media URL names).

Keys are opaque, random and server-made (:func:`new_blob_key`); they never carry a user-supplied id, so no
request can steer a write or a read outside the store. Every backend validates keys with
:func:`validate_key` before touching storage.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeAlias, runtime_checkable

__all__ = [
    "BlobEntry",
    "BlobInfo",
    "BlobNotFound",
    "BlobStore",
    "BlobStoreError",
    "BlobTooLarge",
    "Chunk",
    "InvalidBlobKey",
    "MeasuredChunks",
    "PartialWrite",
    "check_range",
    "new_blob_key",
    "validate_key",
]

MAX_KEY_LENGTH = 512
_SEGMENT = r"[a-z0-9_-][a-z0-9._-]*"
_KEY_PATTERN = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")
_SUFFIX_PATTERN = re.compile(r"(?:\.[a-z0-9]+)*")

Chunk: TypeAlias = bytes | bytearray | memoryview
"""A piece of a blob on its way to a store. Whoever passes one on never changes it afterwards, so a
store may keep it (to write it from another thread) instead of copying it."""


@dataclass(frozen=True)
class BlobInfo:
    """What a completed write stored."""

    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class BlobEntry:
    """One stored blob as a listing sees it."""

    key: str
    size: int
    modified: datetime
    """When its bytes were last written (timezone-aware UTC)."""


@dataclass(frozen=True)
class PartialWrite:
    """What an interrupted write left behind: a temp file, or an unfinished S3 multipart upload."""

    name: str
    """The temp file's path relative to the store, or ``<key>#<upload id>``."""
    size: int | None
    started: datetime
    """Its last write (file) or when the upload began (S3), timezone-aware UTC."""


class BlobStoreError(Exception):
    """Base class of the blob store's own errors."""


class BlobTooLarge(BlobStoreError):
    """A write went over its ``max_size``; nothing was stored."""

    def __init__(self, max_size: int) -> None:
        super().__init__(f"blob is larger than the limit of {max_size} bytes")
        self.max_size = max_size


class BlobNotFound(BlobStoreError):
    """No blob is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"no blob stored under key {self.key!r}"


class BlobStoreUnavailable(BlobStoreError):
    """The store cannot be used at all (no credentials, refused, unreachable); the text says why."""


class InvalidBlobKey(BlobStoreError, ValueError):
    """The key is not a valid relative blob key."""


@runtime_checkable
class BlobStore(Protocol):
    """Blob storage; synchronous and safe to call from several threads at once."""

    def new_key(self, suffix: str) -> str:
        """A fresh random key like ``"ab/cd/<32 hex>.wav"``; ``suffix``: ``".wav"``, ``"wav"`` or ``""``."""
        ...

    def write(
        self, key: str, chunks: Iterable[Chunk], *, max_size: int | None = None, digest: bool = True
    ) -> BlobInfo:
        """Store ``chunks`` under ``key`` atomically: readers see the old blob or the whole new one.

        Raises :class:`BlobTooLarge` once more than ``max_size`` bytes arrive; a failed write (that or
        an exception from ``chunks``) leaves nothing behind. Without ``digest`` the store need not hash
        the bytes (its answer's ``sha256`` may be ``""``): for a wrapper that hashes what it was given.
        """
        ...

    def open(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 1 << 16
    ) -> Iterator[bytes]:
        """Stream bytes ``start..end`` (inclusive; ``end=None`` or past the end: to the last byte).

        Raises :class:`BlobNotFound` at the call, not at the first ``next()``. A ``start`` at or past
        the end yields nothing.
        """
        ...

    def size(self, key: str) -> int: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing key is not an error."""
        ...

    def keys(self) -> Iterator[str]:
        """Every stored key, in no particular order."""
        ...

    def entries(self) -> Iterator[BlobEntry]:
        """Every stored blob with its size and last write, in no particular order."""
        ...

    def remove_partial_writes(self, older_than: datetime, *, dry_run: bool = False) -> list[PartialWrite]:
        """Discard what writes interrupted before ``older_than`` left behind (a killed process's temp
        files or multipart uploads); what was (with ``dry_run``: would be) removed. A write still in
        progress is newer than any sensible ``older_than``, so this is safe while others write."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The blob's file on this machine when the backend has one (files: yes, S3: ``None``)."""
        ...


class MeasuredChunks:
    """The chunks of a write as they pass: counted against ``max_size`` (:class:`BlobTooLarge` past it)
    and, with ``digest``, hashed; ``size`` and ``sha256`` (or ``""``) once they have all passed."""

    def __init__(self, chunks: Iterable[Chunk], max_size: int | None, *, digest: bool = True) -> None:
        self._chunks = chunks
        self._max_size = max_size
        self._hasher = hashlib.sha256() if digest else None
        self.size = 0

    def __iter__(self) -> Iterator[Chunk]:
        for chunk in self._chunks:
            self.size += len(chunk)
            if self._max_size is not None and self.size > self._max_size:
                raise BlobTooLarge(self._max_size)
            if self._hasher is not None:
                self._hasher.update(chunk)
            yield chunk

    @property
    def sha256(self) -> str:
        return self._hasher.hexdigest() if self._hasher is not None else ""


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise :class:`InvalidBlobKey`.

    Allowed: segments of ``[a-z0-9._-]`` joined by ``/``; no empty segment, no segment starting with a
    dot (so no ``.``, ``..`` or hidden files), no leading slash, at most 512 characters.
    """
    if not isinstance(key, str) or not key:
        raise InvalidBlobKey("blob key must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidBlobKey(f"blob key is longer than {MAX_KEY_LENGTH} characters")
    if not _KEY_PATTERN.fullmatch(key):
        raise InvalidBlobKey(
            f"invalid blob key {key!r}: use relative paths of [a-z0-9._-] segments, none starting with '.'"
        )
    return key


def new_blob_key(suffix: str = "") -> str:
    """A random key ``"ab/cd/<uuid4 hex>" + suffix``; the two levels keep directories small."""
    if suffix and not suffix.startswith("."):
        suffix = "." + suffix
    if not _SUFFIX_PATTERN.fullmatch(suffix):
        raise InvalidBlobKey(f"invalid blob key suffix {suffix!r}: use e.g. '.wav'")
    name = uuid.uuid4().hex
    return validate_key(f"{name[:2]}/{name[2:4]}/{name}{suffix}")


def check_range(start: int, end: int | None, chunk_size: int) -> None:
    """Reject nonsense read arguments (shared by the backends)."""
    if start < 0:
        raise ValueError(f"range start must be >= 0, got {start}")
    if end is not None and end < start:
        raise ValueError(f"range end {end} is before start {start}")
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
