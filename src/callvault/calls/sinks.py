"""Where a live recording's frames go: a spool file, found again after a crash.

The recorder writes frames as the call goes; the file grows on disk, never in memory. A spool is always
PCM WAV, whatever the recording's format: every write reaches the file at once, so when the process is
killed the spool still holds the call's audio up to its last whole frame, and
:func:`callvault.media.audio.repair_streamed_wav` makes it a valid file again. An MP3 recording is
encoded from the spool when it is stored (:meth:`SpoolSink.chunks`).

A spool's name comes from its call and recording (:func:`spool_name`), so any process that shares the
spool directory finds it from the call's row. The process recording into it holds an exclusive lock
on it until the spool is discarded; the lock dies with the process, so a spool whose lock can be
taken (:meth:`SpoolSink.reclaim`) belongs to a process that is gone.

A write that fails (a full disk, the file-size limit, a WAV reaching ``max_data_bytes``) does not
reach the recorder (the call goes on): the sink stops writing and remembers the first error as the
cause; at :meth:`SpoolSink.close` the spool is cut to its last whole frame, so it keeps every frame
written before the failure (``frames_kept``) and the recording ends ``partial`` with them. Only a
spool that never got its header, or cannot be repaired, holds no audio (``holds_audio``). The file is
written unbuffered: nothing is left pending in the process after a failed write.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

import numpy as np

from callvault.media.audio import StreamedWav, WavWriter, mp3_from_streamed_wav, repair_streamed_wav

__all__ = [
    "CHUNK_BYTES",
    "CREATING_SUFFIX",
    "SPOOL_SUFFIX",
    "SpoolName",
    "SpoolBusy",
    "SpoolSink",
    "parse_spool_name",
    "spool_name",
]

log = logging.getLogger("callvault.calls")

CHUNK_BYTES = 1 << 20
SPOOL_SUFFIX = ".wav"
CREATING_SUFFIX = ".new"

FileFormat = Literal["wav", "mp3"]


class PcmWriter(Protocol):
    def write(self, frames: np.ndarray) -> None: ...

    def close(self) -> None: ...


class SpoolBusy(Exception):
    """A live process holds the spool (it is recording into it or storing it)."""


@dataclass(frozen=True)
class SpoolName:
    """Whose recording a spool file holds. `account_id` is None in the name of a spool written before
    call ids were unique per account only (`<call>.<recording>.wav`)."""

    account_id: str | None
    call_id: str
    recording_id: str


def spool_name(account_id: str, call_id: str, recording_id: str) -> str:
    """The spool file's name: ids are letters, digits, '-' and '_', so '.' separates them."""
    return f"{account_id}.{call_id}.{recording_id}{SPOOL_SUFFIX}"


def parse_spool_name(name: str) -> SpoolName | None:
    """Whose recording a spool file's name says it holds; None for any other file."""
    if not name.endswith(SPOOL_SUFFIX):
        return None
    parts = name.removesuffix(SPOOL_SUFFIX).split(".")
    if not all(parts) or len(parts) not in (2, 3):
        return None
    return SpoolName(parts[0], parts[1], parts[2]) if len(parts) == 3 else SpoolName(None, *parts)


class SpoolSink:
    """A :class:`~callvault.calls.recorder.PcmSink` writing a locked WAV spool file."""

    def __init__(self, path: Path, file: BinaryIO, file_format: FileFormat) -> None:
        self.path = path
        self.file_format: FileFormat = file_format
        self.error: str | None = None
        """The first failure, the cause of a recording cut short (None: none)."""
        self.frames_kept: int | None = None
        """After a failed write, the whole frames the spool kept (None: no write failed)."""
        self.holds_audio = True
        """Whether the spool is a WAV file to store (False: it never got its header, or is torn)."""
        self._file = file
        self._writer: PcmWriter | None = None
        self._closed = False

    @classmethod
    def create(
        cls,
        path: Path,
        file_format: FileFormat,
        sample_rate: int,
        channels: int,
        *,
        max_data_bytes: int = WavWriter.MAX_DATA_BYTES,
    ) -> SpoolSink:
        """A new spool at ``path``; FileExistsError when one is there already. ``max_data_bytes``
        is where the WAV stops (the 4 GiB its header can state; smaller in tests)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # locked under a name of its own first, so the spool's name never shows an unlocked file
        creating = path.with_name(f".{path.name}.{os.getpid()}{CREATING_SUFFIX}")
        fd = os.open(creating, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.link(creating, path)
        except BaseException:
            os.close(fd)
            raise
        finally:
            creating.unlink()
        sink = cls(path, os.fdopen(fd, "w+b", buffering=0), file_format)
        try:
            sink._writer = WavWriter(sink._file, sample_rate, channels, max_data_bytes=max_data_bytes)
        except Exception as exc:
            sink.holds_audio = False
            sink._fail("open", exc)
        return sink

    @staticmethod
    def is_abandoned(path: Path) -> bool:
        """Whether the spool at ``path`` exists and no live process holds it (a cheap look, no repair)."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)
        return True

    @classmethod
    def reclaim(cls, path: Path, file_format: FileFormat) -> tuple[SpoolSink, StreamedWav] | None:
        """Take over the spool a killed process left at ``path``, repaired to its last whole frame.

        None when there is no such file; :class:`SpoolBusy` while a live process holds it. A spool too
        torn to repair comes back with its ``error`` set (and no audio)."""
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolBusy(path.name) from None
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        if current is None or current.st_ino != os.fstat(fd).st_ino:  # its owner finished it meanwhile
            os.close(fd)
            return None
        sink = cls(path, os.fdopen(fd, "r+b"), file_format)
        sink._closed = True
        try:
            audio = repair_streamed_wav(path)
        except Exception as exc:
            sink.holds_audio = False
            sink._fail("recover", exc)
            audio = StreamedWav(8000, 1, 0)
        return sink, audio

    def written_at(self) -> datetime:
        """When the spool was last written."""
        return datetime.fromtimestamp(os.fstat(self._file.fileno()).st_mtime, UTC)

    def write(self, frames: np.ndarray) -> None:
        """Write frames straight into the file (unbuffered: a killed process loses none of them)."""
        if self._writer is None:
            return
        try:
            self._writer.write(frames)
        except Exception as exc:
            self._fail("write", exc)

    def close(self) -> None:
        """Finish the WAV and sync it to disk (after a failure: cut to its last whole frame); the file
        (and its lock) stay until :meth:`discard` or :meth:`release`."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._writer is not None:
                self._writer.close()
            os.fsync(self._file.fileno())
        except Exception as exc:
            self._fail("close", exc)
        if self.error is not None and self.holds_audio:
            self._keep_whole_frames()

    def _keep_whole_frames(self) -> None:
        try:
            kept = repair_streamed_wav(self.path)
        except Exception as exc:
            self.holds_audio = False
            log.error(
                "live recording %s: the spool cannot be repaired: %s: %s",
                self.path.name,
                type(exc).__name__,
                exc,
            )
            return
        self.frames_kept = kept.frames
        log.warning(
            "live recording %s: the spool keeps %.2f s of audio written before: %s",
            self.path.name,
            kept.duration_seconds,
            self.error,
        )

    def chunks(self, chunk_size: int = CHUNK_BYTES) -> Iterator[bytes]:
        """The recording's bytes in its format: the spool itself, or MP3 encoded from it."""
        if self.file_format == "mp3":
            yield from mp3_from_streamed_wav(self.path)
            return
        with self.path.open("rb") as f:
            while chunk := f.read(chunk_size):
                yield chunk

    def discard(self) -> None:
        """Remove the spool, then let go of its lock."""
        self.path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self._file.close()

    def release(self) -> None:
        """Let go of the spool's lock and leave the file, for spool recovery to store later."""
        with contextlib.suppress(OSError):
            self._file.close()

    def _fail(self, stage: str, exc: Exception) -> None:
        error = f"{self.file_format} spool failed to {stage}: {type(exc).__name__}: {exc}"
        self.error = self.error or error  # the first failure is the cause
        self._writer = None
        log.error("live recording %s: %s", self.path.name, error)
