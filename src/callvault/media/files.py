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
_writers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="blob-write")


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
        self, key: str, chunks: Iterable[bytes], *, max_size: int | None = None, digest: bool = True
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
    chunks: Iterable[bytes], out: BinaryIO, max_size: int | None, digest: bool
) -> tuple[int, str]:
    """Copy ``chunks`` to ``out`` in writes of a MiB, each made by a writer thread while the next MiB
    is produced (for an upload: received, hashed, encrypted), one write in flight at a time: the
    system call and the work before it overlap instead of taking turns. (size, sha256 or "")."""
    measured = MeasuredChunks(chunks, max_size, digest=digest)
    pending = bytearray()
    in_flight: Future[None] | None = None
    try:
        for chunk in measured:
            pending += chunk
            if len(pending) >= _WRITE_BYTES:
                if in_flight is not None:
                    in_flight.result()
                in_flight = _writers.submit(_write_all, out, pending)
                pending = bytearray()
        if in_flight is not None:
            written = in_flight
            in_flight = None
            written.result()
        _write_all(out, pending)
    finally:
        if in_flight is not None:  # the file is closed after this: never under a write
            with contextlib.suppress(Exception):
                in_flight.result()
    return measured.size, measured.sha256


def _write_all(out: BinaryIO, data: bytearray) -> None:
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
