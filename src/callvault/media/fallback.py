"""A blob store that reads through to the previous store after a media migration.

Writes and new keys go to the primary; reads of a key the primary lacks come from the fallback, so a
recording written by a process that still ran on the old store is never lost; deletes reach both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from callvault.media.blobstore import BlobEntry, BlobInfo, BlobStore, Chunk, PartialWrite


class FallbackBlobStore:
    def __init__(self, primary: BlobStore, fallback: BlobStore) -> None:
        self.primary = primary
        self.fallback = fallback

    def _holder(self, key: str) -> BlobStore:
        if self.primary.exists(key) or not self.fallback.exists(key):
            return self.primary
        return self.fallback

    def new_key(self, suffix: str) -> str:
        return self.primary.new_key(suffix)

    def write(
        self, key: str, chunks: Iterable[Chunk], *, max_size: int | None = None, digest: bool = True
    ) -> BlobInfo:
        return self.primary.write(key, chunks, max_size=max_size, digest=digest)

    def open(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 1 << 16
    ) -> Iterator[bytes]:
        return self._holder(key).open(key, start, end, chunk_size)

    def size(self, key: str) -> int:
        return self._holder(key).size(key)

    def exists(self, key: str) -> bool:
        return self.primary.exists(key) or self.fallback.exists(key)

    def delete(self, key: str) -> None:
        self.primary.delete(key)
        self.fallback.delete(key)

    def keys(self) -> Iterator[str]:
        return (entry.key for entry in self.entries())

    def entries(self) -> Iterator[BlobEntry]:
        seen = set()
        for entry in self.primary.entries():
            seen.add(entry.key)
            yield entry
        for entry in self.fallback.entries():
            if entry.key not in seen:
                yield entry

    def remove_partial_writes(self, older_than: datetime, *, dry_run: bool = False) -> list[PartialWrite]:
        return [
            *self.primary.remove_partial_writes(older_than, dry_run=dry_run),
            *self.fallback.remove_partial_writes(older_than, dry_run=dry_run),
        ]

    def local_path(self, key: str) -> Path | None:
        holder = self._holder(key)
        return holder.local_path(key) if holder.exists(key) else None
