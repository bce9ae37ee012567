"""FileBlobStore: blobs as files under one directory, written atomically (temp, fsync, rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from callvault.media.blobstore import (
    BlobEntry,
    BlobInfo,
    BlobNotFound,
    Chunk,
    InvalidBlobKey,
    MeasuredChunks,
    PartialWrite,
    check_range,
    new_blob_key,
    validate_key,
)
from callvault.media.durable import fsync_dir

__all__ = ["FileBlobStore"]

TEMP_PREFIX = ".tmp-"
TEMP_SUFFIX = ".part"
_WRITE_BYTES = 1 << 20
FLUSH_BEHIND_BYTES = 16 << 20
_writers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="blob-write")
_flushers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="blob-flush")
_sync_data = getattr(os, "fdatasync", os.fsync)
_drop_from_cache = getattr(os, "posix_fadvise", None)  # Linux; elsewhere pages stay cached


class FileBlobStore:
    """Blobs under ``root``: key ``ab/cd/x.wav`` is the file ``root/ab/cd/x.wav``.

    Temporary files start with a dot, a name no valid key can have, so a crash mid-write never shows
    up as a blob; :meth:`remove_partial_writes` sweeps the ones a killed process left.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"FileBlobStore({str(self.root)!r})"

    def new_key(self, suffix: str) -> str:
        return new_blob_key(suffix)

    def write(
        self, key: str, chunks: Iterable[Chunk], *, max_size: int | None = None, digest: bool = True
    ) -> BlobInfo:
        path = self._path(key)
        self._make_dirs(path.parent)
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
        try:
            with os.fdopen(fd, "wb", buffering=0) as temp:
                size, sha256 = _write_behind(chunks, temp, max_size, digest)
                os.fsync(temp.fileno())
            os.replace(temp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        fsync_dir(path.parent)
        return BlobInfo(key=key, size=size, sha256=sha256)

    def open(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 1 << 16
    ) -> Iterator[bytes]:
        check_range(start, end, chunk_size)
        path = self._path(key)
        try:
            f = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(key) from None
        return _read_range(f, start, end, chunk_size)

    def size(self, key: str) -> int:
        path = self._path(key)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFound(key) from None
        if not path.is_file():
            raise BlobNotFound(key)
        return stat.st_size

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return
        fsync_dir(path.parent)

    def keys(self) -> Iterator[str]:
        return (entry.key for entry in self.entries())

    def entries(self) -> Iterator[BlobEntry]:
        for path, key in self._walk():
            if _is_valid_key(key):
                with contextlib.suppress(FileNotFoundError):
                    stat = path.stat()
                    yield BlobEntry(key=key, size=stat.st_size, modified=_utc(stat.st_mtime))

    def local_path(self, key: str) -> Path | None:
        """The file that holds (or would hold) ``key``; it may not exist."""
        return self._path(key)

    def remove_partial_writes(self, older_than: datetime, *, dry_run: bool = False) -> list[PartialWrite]:
        removed = []
        for path, name in self._walk():
            if not (path.name.startswith(TEMP_PREFIX) and path.name.endswith(TEMP_SUFFIX)):
                continue
            try:
                stat = path.stat()
                if _utc(stat.st_mtime) >= older_than:
                    continue
                if not dry_run:
                    path.unlink()
            except FileNotFoundError:
                continue
            removed.append(PartialWrite(name=name, size=stat.st_size, started=_utc(stat.st_mtime)))
        return removed

    def _walk(self) -> Iterator[tuple[Path, str]]:
        """Every file below the root (hidden directories skipped) with its path relative to it."""
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
            base = Path(dirpath)
            relative = base.relative_to(self.root)
            for name in sorted(filenames):
                yield base / name, (relative / name).as_posix()

    def _path(self, key: str) -> Path:
        path = self.root.joinpath(*validate_key(key).split("/"))
        if self.root not in path.parents:  # cannot happen for a valid key; a second lock on the door
            raise InvalidBlobKey(f"blob key {key!r} escapes the store")
        return path

    def _make_dirs(self, directory: Path) -> None:
        """Create missing directories below the root, fsyncing each parent so the new entry is durable."""
        missing: list[Path] = []
        while directory != self.root and not directory.is_dir():
            missing.append(directory)
            directory = directory.parent
        for new_dir in reversed(missing):
            try:
                new_dir.mkdir()
            except FileExistsError:
                continue
            fsync_dir(new_dir.parent)


def _write_behind(
    chunks: Iterable[Chunk], out: BinaryIO, max_size: int | None, digest: bool
) -> tuple[int, str]:
    """Copy ``chunks`` to ``out`` in writes of at least a MiB (a chunk that large is written as it is,
    smaller ones gathered), each made by a writer thread while the next is produced (for an upload:
    received, hashed, encrypted), one write in flight at a time: the system call and the work before
    it overlap instead of taking turns. (size, sha256 or "")."""
    measured = MeasuredChunks(chunks, max_size, digest=digest)
    behind = _WritesBehind(out)
    gathered = bytearray()
    try:
        for chunk in measured:
            if not gathered and len(chunk) >= _WRITE_BYTES:
                behind.write(chunk)
                continue
            gathered += chunk
            if len(gathered) >= _WRITE_BYTES:
                behind.write(gathered)
                gathered = bytearray()
        behind.finish(gathered)
    finally:
        behind.settle()
    return measured.size, measured.sha256


class _WritesBehind:
    """One file's writes on a writer thread, and its flushes behind them.

    Once :data:`FLUSH_BEHIND_BYTES` more are written, a flusher thread makes them durable
    (``fdatasync``) while later ones are produced and written, so the disk works through a large blob
    as it arrives and the fsync that ends the write waits only for the last few MiB. What a flush made
    durable then leaves the page cache: a large blob written once does not crowd out what is read
    often, and its next pages reuse the ones just freed. Smaller blobs are never flushed behind. A
    flush that fails fails the write.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._writing: Future[None] | None = None
        self._flushing: Future[None] | None = None
        self._written = 0
        self._flushed = 0

    def write(self, data: Chunk) -> None:
        if self._writing is not None:
            self._writing.result()
            self._flush_if_due()
        self._writing = _writers.submit(_write_all, self._out, data)
        self._written += len(data)

    def finish(self, last: Chunk) -> None:
        """Write ``last`` here, once the write in flight is done; then wait for any flush."""
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()
        _write_all(self._out, last)
        if self._flushing is not None:
            flushing, self._flushing = self._flushing, None
            flushing.result()

    def settle(self) -> None:
        """Wait for whatever is still in flight (the file is closed after this: never under a write or
        a flush); its errors were or will be raised elsewhere."""
        for pending in (self._writing, self._flushing):
            if pending is not None:
                with contextlib.suppress(Exception):
                    pending.result()

    def _flush_if_due(self) -> None:
        """Called between writes, none in flight: every byte counted in ``_written`` is written."""
        if self._written - self._flushed < FLUSH_BEHIND_BYTES:
            return
        if self._flushing is not None:
            if not self._flushing.done():
                return
            self._flushing.result()
        self._flushing = _flushers.submit(_flush_behind, self._out.fileno(), self._written)
        self._flushed = self._written


def _flush_behind(fd: int, length: int) -> None:
    """Make the file's first ``length`` bytes durable, then drop them from the page cache."""
    _sync_data(fd)
    if _drop_from_cache is not None:
        _drop_from_cache(fd, 0, length, os.POSIX_FADV_DONTNEED)


def _write_all(out: BinaryIO, data: Chunk) -> None:
    view = memoryview(data)
    while view:
        view = view[out.write(view) :]


def _read_range(f: BinaryIO, start: int, end: int | None, chunk_size: int) -> Iterator[bytes]:
    with f:
        f.seek(start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            data = f.read(chunk_size if remaining is None else min(chunk_size, remaining))
            if not data:
                return
            if remaining is not None:
                remaining -= len(data)
            yield data


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _is_valid_key(key: str) -> bool:
    try:
        validate_key(key)
    except InvalidBlobKey:
        return False
    return True
