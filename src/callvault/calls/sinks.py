"""Where a live recording's frames go: a WAV or MP3 encoder writing a temporary file.

The recorder writes frames as the call goes; the file grows on disk, never in memory. When the
recording ends, :meth:`TempFileSink.chunks` streams the file into the blob store and
:meth:`TempFileSink.discard` removes it. An encoder or disk failure does not reach the recorder (the
call goes on): the sink stops writing and remembers the error, and the recording ends as ``error``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

import numpy as np

from callvault.media.audio import Mp3Writer, WavWriter

__all__ = ["CHUNK_BYTES", "TempFileSink"]

log = logging.getLogger("callvault.calls")

CHUNK_BYTES = 1 << 20

FileFormat = Literal["wav", "mp3"]


class PcmWriter(Protocol):
    def write(self, frames: np.ndarray) -> None: ...

    def close(self) -> None: ...


class TempFileSink:
    """A :class:`~callvault.calls.recorder.PcmSink` encoding to a temporary file in `directory`."""

    def __init__(self, directory: Path, file_format: FileFormat, sample_rate: int, channels: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="live-", suffix=f".{file_format}", dir=directory)
        self.path = Path(name)
        self.file_format: FileFormat = file_format
        self.error: str | None = None
        self._file: BinaryIO = os.fdopen(fd, "w+b")
        self._writer: PcmWriter | None = None
        try:
            self._writer = self._open_writer(self._file, sample_rate, channels)
        except Exception as exc:
            self._fail("open", exc)

    def _open_writer(self, f: BinaryIO, sample_rate: int, channels: int) -> PcmWriter:
        if self.file_format == "mp3":
            return Mp3Writer(f, sample_rate, channels)
        return WavWriter(f, sample_rate, channels)

    def write(self, frames: np.ndarray) -> None:
        if self._writer is None:
            return
        try:
            self._writer.write(frames)
        except Exception as exc:
            self._fail("write", exc)

    def close(self) -> None:
        """Finish the encoding and sync the file to disk; the file stays until :meth:`discard`."""
        if self._file.closed:
            return
        try:
            if self._writer is not None:
                self._writer.close()
            self._file.flush()
            os.fsync(self._file.fileno())
        except Exception as exc:
            self._fail("close", exc)
        finally:
            try:
                self._file.close()  # flushes what a failed write left buffered: it can fail again
            except OSError as exc:
                self._fail("close", exc)

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def chunks(self, chunk_size: int = CHUNK_BYTES) -> Iterator[bytes]:
        with self.path.open("rb") as f:
            while chunk := f.read(chunk_size):
                yield chunk

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)

    def _fail(self, stage: str, exc: Exception) -> None:
        error = f"{self.file_format} encoder failed to {stage}: {type(exc).__name__}: {exc}"
        self.error = self.error or error  # the first failure is the cause
        self._writer = None
        log.error("live recording %s: %s", self.path.name, error)
