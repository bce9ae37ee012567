"""Probe WAV and MP3 recordings from their content: format, channels, sample rate, duration.

Probing reads headers and, for MP3 without a frame count, walks frame headers in bounded blocks:
memory stays O(1) in the file's length, and nothing trusts a file name.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

__all__ = [
    "HEAD_BYTES",
    "MAX_CHANNELS",
    "MAX_SAMPLE_RATE",
    "AudioInfo",
    "InvalidAudio",
    "identify_head",
    "probe",
    "probe_stream",
]


@dataclass(frozen=True)
class AudioInfo:
    format: Literal["wav", "mp3"]
    channels: int
    sample_rate: int
    duration: float  # seconds


class InvalidAudio(ValueError):
    """The content is not audio this service accepts; the message says what is wrong."""


def probe(path: Path | str) -> AudioInfo:
    """Identify a WAV or MP3 file by its content (the name is ignored)."""
    with open(path, "rb") as f:
        return probe_stream(f)


def probe_stream(f: BinaryIO) -> AudioInfo:
    """Identify WAV or MP3 content from a seekable binary file object (read from offset 0)."""
    if not f.seekable():
        raise ValueError("probe_stream needs a seekable file object")
    file_size = f.seek(0, io.SEEK_END)
    if file_size == 0:
        raise InvalidAudio("the file is empty")
    head = _read_at(f, 0, 12)
    if head[:4] in (b"RIFF", b"RF64"):
        return _probe_wav(f, head, file_size)
    info = _probe_mp3(f, file_size)
    if info is None:
        raise InvalidAudio("not a WAV or MP3 file: no RIFF/WAVE header and no run of MPEG Layer III frames")
    return info


def identify_head(head: bytes) -> Literal["wav", "mp3"]:
    """The format of the upload whose first ``HEAD_BYTES`` (or more) are ``head``, told before the rest
    arrives. It refuses only what :func:`probe_stream` would refuse whatever follows: a RIFF file that is
    not WAVE, or (after any ID3v2 tag) no two consistent MPEG frames in a row where ``probe_stream``
    looks for the first one. The whole file is probed once it is stored."""
    if head[:4] in (b"RIFF", b"RF64"):
        _require_wave_form(head)
        return "wav"
    f = io.BytesIO(head)
    start = _skip_id3v2(f, len(head))
    if start + _SYNC_SEARCH_BYTES + _MAX_FRAME_BYTES + 4 > len(head):
        return "mp3"  # an ID3v2 tag too long to see past yet: the stored file decides
    window = head[start : start + _SYNC_SEARCH_BYTES]
    i = window.find(b"\xff")
    while 0 <= i < len(window) - 3:
        first = _parse_frame_header(window, i)
        if first is not None:
            following = _parse_frame_header(head, start + i + first.length)
            if following is not None and following.same_stream(first):
                return "mp3"
        i = window.find(b"\xff", i + 1)
    raise InvalidAudio("not a WAV or MP3 file: no RIFF/WAVE header and no run of MPEG Layer III frames")


def _read_at(f: BinaryIO, offset: int, size: int) -> bytes:
    f.seek(offset)
    return f.read(size)


# ---------------------------------------------------------------------------------------------- WAV

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_ALAW = 0x0006
WAVE_FORMAT_MULAW = 0x0007
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_KSDATAFORMAT_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_ALLOWED_BITS = {
    WAVE_FORMAT_PCM: (8, 16, 24, 32),
    WAVE_FORMAT_IEEE_FLOAT: (32, 64),
    WAVE_FORMAT_ALAW: (8,),
    WAVE_FORMAT_MULAW: (8,),
}
_FORMAT_NAMES = {
    WAVE_FORMAT_PCM: "PCM",
    WAVE_FORMAT_IEEE_FLOAT: "IEEE float",
    WAVE_FORMAT_ALAW: "A-law",
    WAVE_FORMAT_MULAW: "mu-law",
}
_UNKNOWN_SIZES = (0, 0xFFFFFFFF)
MAX_CHANNELS = 32
MAX_SAMPLE_RATE = 768_000
_MAX_WAV_CHUNKS = 10_000


@dataclass(frozen=True)
class _WavFormat:
    format_tag: int
    channels: int
    sample_rate: int
    block_align: int
    bits_per_sample: int


def _probe_wav(f: BinaryIO, head: bytes, file_size: int) -> AudioInfo:
    _require_wave_form(head)
    riff_size = struct.unpack_from("<I", head, 4)[0]
    end = file_size if riff_size in _UNKNOWN_SIZES else min(file_size, riff_size + 8)
    fmt, data_size = _scan_wav_chunks(f, end, streaming=riff_size in _UNKNOWN_SIZES)
    frames = data_size // fmt.block_align
    return AudioInfo("wav", fmt.channels, fmt.sample_rate, frames / fmt.sample_rate)


def _require_wave_form(head: bytes) -> None:
    if len(head) < 12 or head[8:12] != b"WAVE":
        form = head[8:12].decode("latin-1") if len(head) >= 12 else ""
        raise InvalidAudio(f"RIFF file is not WAVE audio (form type {form!r})")


def _scan_wav_chunks(f: BinaryIO, end: int, *, streaming: bool) -> tuple[_WavFormat, int]:
    """Walk the RIFF chunks (any order, odd sizes padded) for the format and the data size."""
    fmt: _WavFormat | None = None
    data_size: int | None = None
    ds64_data_size: int | None = None
    pos = 12
    for _ in range(_MAX_WAV_CHUNKS):
        if pos + 8 > end:
            break
        chunk_id, chunk_size = struct.unpack("<4sI", _read_at(f, pos, 8))
        body = pos + 8
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(_read_at(f, body, min(chunk_size, 64)), chunk_size)
        elif chunk_id == b"ds64" and chunk_size >= 24:
            ds64_data_size = struct.unpack("<Q", _read_at(f, body + 8, 8))[0]
        elif chunk_id == b"data":
            data_size, reaches_end = _data_chunk_size(chunk_size, body, end, streaming, ds64_data_size)
            if reaches_end:
                break
        pos = body + chunk_size + (chunk_size & 1)
    else:
        raise InvalidAudio(f"WAV file has more than {_MAX_WAV_CHUNKS} chunks")
    if fmt is None:
        raise InvalidAudio("WAV file has no 'fmt ' chunk")
    if data_size is None:
        raise InvalidAudio("WAV file has no 'data' chunk")
    return fmt, data_size


def _data_chunk_size(
    declared: int, body: int, end: int, streaming: bool, ds64_size: int | None
) -> tuple[int, bool]:
    """(bytes of audio, whether the data runs to the end of the file)."""
    available = end - body
    if declared == 0xFFFFFFFF and ds64_size is not None:
        declared = ds64_size
    elif declared == 0xFFFFFFFF or (declared == 0 and streaming):
        return available, True  # a streamed or unfinished writer: the data is the rest of the file
    if declared >= available:
        return available, True  # truncated: keep what is there
    return declared, False


def _parse_fmt(raw: bytes, declared_size: int) -> _WavFormat:
    if declared_size < 16 or len(raw) < 16:
        raise InvalidAudio("WAV 'fmt ' chunk is too short")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", raw, 0)
    if tag == WAVE_FORMAT_EXTENSIBLE:
        tag = _extensible_subformat(raw)
    if tag not in _ALLOWED_BITS:
        raise InvalidAudio(
            f"unsupported WAV encoding (format tag 0x{tag:04x}); accepted: PCM, float, mu-law, A-law"
        )
    if bits not in _ALLOWED_BITS[tag]:
        raise InvalidAudio(f"unsupported {_FORMAT_NAMES[tag]} WAV sample size: {bits} bits")
    if not 1 <= channels <= MAX_CHANNELS:
        raise InvalidAudio(f"invalid WAV channel count: {channels}")
    if not 1 <= rate <= MAX_SAMPLE_RATE:
        raise InvalidAudio(f"invalid WAV sample rate: {rate} Hz")
    if block_align != channels * bits // 8:
        raise InvalidAudio(
            f"inconsistent WAV format: block align {block_align} for {channels} channel(s) of {bits} bits"
        )
    return _WavFormat(tag, channels, rate, block_align, bits)


def _extensible_subformat(raw: bytes) -> int:
    if len(raw) < 40:
        raise InvalidAudio("WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is too short")
    guid = raw[24:40]
    if guid[2:] != _KSDATAFORMAT_GUID_TAIL:
        raise InvalidAudio("unsupported WAVE_FORMAT_EXTENSIBLE sub-format")
    return int(struct.unpack_from("<H", guid, 0)[0])


# ---------------------------------------------------------------------------------------------- MP3

_MPEG1, _MPEG2, _MPEG25 = 3, 2, 0
_LAYER3 = 1
_BITRATES_KBPS = {
    _MPEG1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    _MPEG2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {_MPEG1: (44100, 48000, 32000), _MPEG2: (22050, 24000, 16000), _MPEG25: (11025, 12000, 8000)}
MP3_SAMPLE_RATES = frozenset(rate for rates in _SAMPLE_RATES.values() for rate in rates)
MIN_SYNC_FRAMES = 4
_SYNC_SEARCH_BYTES = 128 * 1024
_RESYNC_SEARCH_BYTES = 16 * 1024
_WALK_BLOCK = 256 * 1024
_MAX_FRAME_BYTES = 1441  # MPEG-1 Layer III at 320 kbit/s and 32 kHz, padded
HEAD_BYTES = 256 * 1024
"""What :func:`identify_head` needs to see of an upload (more than the sync search and two frames)."""


@dataclass(frozen=True)
class _FrameHeader:
    version: int
    sample_rate: int
    bitrate_kbps: int
    channels: int
    protected: bool
    length: int

    @property
    def samples(self) -> int:
        return 1152 if self.version == _MPEG1 else 576

    def same_stream(self, other: _FrameHeader) -> bool:
        mine = (self.version, self.sample_rate, self.channels)
        return mine == (other.version, other.sample_rate, other.channels)


def _parse_frame_header(b: bytes | bytearray | memoryview, i: int = 0) -> _FrameHeader | None:
    """The MPEG audio Layer III frame header at ``b[i:i+4]``, or ``None`` when those bytes are not one."""
    if len(b) < i + 4 or b[i] != 0xFF or b[i + 1] & 0xE0 != 0xE0:
        return None
    b1, b2, b3 = b[i + 1], b[i + 2], b[i + 3]
    version = (b1 >> 3) & 3
    if version == 1 or (b1 >> 1) & 3 != _LAYER3:
        return None
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if bitrate_index in (0, 15) or rate_index == 3 or b3 & 3 == 2:
        return None
    bitrate = _BITRATES_KBPS[_MPEG1 if version == _MPEG1 else _MPEG2][bitrate_index]
    rate = _SAMPLE_RATES[version][rate_index]
    coefficient = 144 if version == _MPEG1 else 72
    length = coefficient * bitrate * 1000 // rate + ((b2 >> 1) & 1)
    channels = 1 if b3 >> 6 == 3 else 2
    return _FrameHeader(version, rate, bitrate, channels, protected=not b1 & 1, length=length)


def _probe_mp3(f: BinaryIO, file_size: int) -> AudioInfo | None:
    start = _skip_id3v2(f, file_size)
    end = _audio_end(f, start, file_size)
    found = _find_first_frame(f, start, end)
    if found is None:
        return None
    offset, header = found
    first = _read_at(f, offset, min(header.length, end - offset))
    tagged = _read_vbr_tag(first, header)
    if tagged is not None and tagged[0] > 0:
        frames, trim = tagged
        samples = max(frames * header.samples - trim, 0)
    else:
        if tagged is not None:
            offset += header.length  # an info frame without a count: silent, not audio
        frames = _count_frames(f, offset, end, header)
        samples = frames * header.samples
    return AudioInfo("mp3", header.channels, header.sample_rate, samples / header.sample_rate)


def _skip_id3v2(f: BinaryIO, file_size: int) -> int:
    pos = 0
    while pos + 10 <= file_size:
        tag = _read_at(f, pos, 10)
        if tag[:3] != b"ID3" or any(byte & 0x80 for byte in tag[6:10]):
            break
        size = (tag[6] << 21) | (tag[7] << 14) | (tag[8] << 7) | tag[9]
        pos += 10 + size + (10 if tag[5] & 0x10 else 0)
    return pos


def _audio_end(f: BinaryIO, start: int, file_size: int) -> int:
    """The end of the audio once trailing ID3v1 and APEv2 tags are cut off."""
    end = file_size
    if end - start >= 128 and _read_at(f, end - 128, 3) == b"TAG":
        end -= 128
        if end - start >= 227 and _read_at(f, end - 227, 4) == b"TAG+":
            end -= 227
    if end - start >= 32:
        footer = _read_at(f, end - 32, 32)
        if footer[:8] == b"APETAGEX":
            tag_size, _items, flags = struct.unpack_from("<III", footer, 12)
            total = tag_size + (32 if flags & 0x80000000 else 0)
            if total <= end - start:
                end -= total
    return end


def _find_first_frame(f: BinaryIO, start: int, end: int) -> tuple[int, _FrameHeader] | None:
    """The first offset that starts a run of valid, consistent frames (a few, or all up to the end)."""
    if end - start < 4:  # nothing after the tags (or an ID3 size that points past the end)
        return None
    window = _read_at(f, start, min(_SYNC_SEARCH_BYTES, end - start))
    i = window.find(b"\xff")
    while 0 <= i < len(window) - 3:
        header = _parse_frame_header(window, i)
        if header is not None and _is_frame_run(f, start + i, end, header):
            return start + i, header
        i = window.find(b"\xff", i + 1)
    return None


def _is_frame_run(f: BinaryIO, offset: int, end: int, first: _FrameHeader) -> bool:
    """Whether MIN_SYNC_FRAMES frames follow one another, or at least two fill the audio exactly."""
    count, pos, header = 0, offset, first
    while count < MIN_SYNC_FRAMES:
        if pos + header.length > end:
            return False
        count += 1
        pos += header.length
        if pos == end:
            return count >= 2
        following = _parse_frame_header(_read_at(f, pos, 4))
        if following is None or not following.same_stream(first):
            return False
        header = following
    return True


def _read_vbr_tag(frame: bytes, header: _FrameHeader) -> tuple[int, int] | None:
    """(frame count, samples to trim) from a Xing/Info (+LAME delays) or VBRI tag, if the frame has one."""
    if header.version == _MPEG1:
        side_info = 17 if header.channels == 1 else 32
    else:
        side_info = 9 if header.channels == 1 else 17
    xing = 4 + (2 if header.protected else 0) + side_info
    if frame[xing : xing + 4] in (b"Xing", b"Info") and len(frame) >= xing + 8:
        return _parse_xing(frame, xing)
    if frame[36:40] == b"VBRI" and len(frame) >= 36 + 18:
        return int(struct.unpack_from(">I", frame, 36 + 14)[0]), 0
    return None


def _parse_xing(frame: bytes, xing: int) -> tuple[int, int]:
    flags = struct.unpack_from(">I", frame, xing + 4)[0]
    pos = xing + 8
    frames = 0
    if flags & 1 and len(frame) >= pos + 4:
        frames = struct.unpack_from(">I", frame, pos)[0]
        pos += 4
    pos += (4 if flags & 2 else 0) + (100 if flags & 4 else 0) + (4 if flags & 8 else 0)
    trim = 0
    if frame[pos : pos + 4] in (b"LAME", b"Lavf", b"Lavc") and len(frame) >= pos + 24:
        delays = int.from_bytes(frame[pos + 21 : pos + 24], "big")
        trim = (delays >> 12) + (delays & 0xFFF)
    return frames, trim


def _count_frames(f: BinaryIO, offset: int, end: int, first: _FrameHeader) -> int:
    """Walk frame headers to the end in bounded blocks; resync over short garbage; stop at a cut frame."""
    frames = 0
    reader = _BlockReader(f, end)
    pos = offset
    while pos + 4 <= end:
        header = _parse_frame_header(reader.read(pos, 4))
        if header is None or not header.same_stream(first):
            resynced = _resync(reader, pos, end, first)
            if resynced is None:
                break
            pos = resynced
            continue
        if pos + header.length > end:
            break
        frames += 1
        pos += header.length
    return frames


def _resync(reader: _BlockReader, pos: int, end: int, first: _FrameHeader) -> int | None:
    """The next offset within a short distance where two consistent frames follow one another."""
    for candidate in range(pos + 1, min(end - 3, pos + _RESYNC_SEARCH_BYTES)):
        header = _parse_frame_header(reader.read(candidate, 4))
        if header is None or not header.same_stream(first):
            continue
        following_at = candidate + header.length
        if following_at == end:
            return candidate
        following = _parse_frame_header(reader.read(following_at, 4))
        if following is not None and following.same_stream(first):
            return candidate
    return None


class _BlockReader:
    """Small random reads served from one cached block, so walking frames costs few system calls."""

    def __init__(self, f: BinaryIO, end: int) -> None:
        self.f = f
        self.end = end
        self.block_start = 0
        self.block = b""

    def read(self, pos: int, size: int) -> bytes:
        offset = pos - self.block_start
        if offset < 0 or offset + size > len(self.block):
            self.block_start = pos
            self.block = _read_at(self.f, pos, max(size, min(_WALK_BLOCK, self.end - pos)))
            offset = 0
        return self.block[offset : offset + size]
