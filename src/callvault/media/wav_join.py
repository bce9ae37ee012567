"""Join PCM WAV files written by callvault, with silence between them, as one streamed WAV.

Each piece is the data of a 44-byte-header PCM16 WAV (a stored recording, a live spool), read as a
stream of chunks, or a run of silence; the joined file's header states the total size up front, so
nothing is held in memory but one chunk. Used when a SIPREC session fails over to another process
and its recording goes on (``services.continued_recordings``)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass

from callvault.media.probe import InvalidAudio

__all__ = ["HEADER_BYTES", "WavFormat", "WavPiece", "joined_wav", "read_wav_format"]

HEADER_BYTES = 44
_SILENCE_CHUNK = 1 << 20


@dataclass(frozen=True)
class WavFormat:
    sample_rate: int
    channels: int

    @property
    def block(self) -> int:
        return 2 * self.channels


@dataclass(frozen=True)
class WavPiece:
    """`data_bytes` of audio: from `chunks` (a whole WAV file: its header is skipped), or silence
    when `chunks` is None."""

    data_bytes: int
    chunks: Callable[[], Iterable[bytes]] | None = None


def read_wav_format(header: bytes) -> WavFormat:
    """The format of a 44-byte PCM16 WAV header; InvalidAudio for anything else."""
    if len(header) < HEADER_BYTES:
        raise InvalidAudio("not a WAV file written by callvault: the header is incomplete")
    riff, _, wave, fmt, fmt_size, tag, channels, rate, _, _, bits, data, _ = struct.unpack(
        "<4sI4s4sIHHIIHH4sI", header[:HEADER_BYTES]
    )
    if (riff, wave, fmt, fmt_size, tag, bits, data) != (b"RIFF", b"WAVE", b"fmt ", 16, 1, 16, b"data"):
        raise InvalidAudio("not a PCM16 WAV file written by callvault")
    return WavFormat(rate, channels)


def _header(fmt: WavFormat, data_bytes: int) -> bytes:
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,
        fmt.channels,
        fmt.sample_rate,
        fmt.sample_rate * fmt.block,
        fmt.block,
        16,
        b"data",
        data_bytes,
    )


def joined_wav(fmt: WavFormat, pieces: Sequence[WavPiece]) -> Iterator[bytes]:
    """One WAV of `fmt`: the pieces in order. A piece whose file ends early is padded with silence,
    one that runs longer is cut, so the header's size always holds."""
    for piece in pieces:
        if piece.data_bytes < 0 or piece.data_bytes % fmt.block:
            raise ValueError(f"a piece of {piece.data_bytes} bytes is not whole frames of {fmt}")
    yield _header(fmt, sum(piece.data_bytes for piece in pieces))
    for piece in pieces:
        left = piece.data_bytes
        if piece.chunks is not None:
            left -= yield from _data_of(piece.chunks(), left)
        while left > 0:
            size = min(left, _SILENCE_CHUNK)
            yield bytes(size)
            left -= size


def _data_of(chunks: Iterable[bytes], limit: int) -> Generator[bytes, None, int]:
    """Yield at most `limit` bytes of the file's data (after its header); returns how many."""
    skip = HEADER_BYTES
    sent = 0
    for chunk in chunks:
        if skip:
            cut = min(skip, len(chunk))
            chunk, skip = chunk[cut:], skip - cut
        chunk = chunk[: limit - sent]
        if chunk:
            yield chunk
            sent += len(chunk)
        if sent >= limit:
            break
    return sent
