"""A recording that goes on after its SIPREC session failed over to another process: the stored
earlier part, silence for the gap, then the audio of the new session, joined as one WAV while it is
streamed into the blob store (``media.wav_join``). The recording keeps its id; its ``source`` notes
each gap: ``"gaps": [{"at": "PT10.02S", "duration": "PT2.1S"}]`` (where the gap begins in the
recording, and how long it lasts).

The gap is measured on the wall clock: from the end of the earlier part (its ``endTime``) to the
start of the continuation (when the re-established session was accepted), so the recording stays
as long as the call."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from callvault.calls.recorder import RecordingSummary
from callvault.calls.sinks import SpoolSink
from callvault.domain.records import ActiveRecording
from callvault.domain.timefmt import format_iso_duration, parse_iso_time
from callvault.media.blobstore import BlobStore
from callvault.media.wav_join import HEADER_BYTES, WavFormat, WavPiece, joined_wav, read_wav_format

__all__ = ["JoinedMedia", "joined_media"]

log = logging.getLogger("callvault.calls")


@dataclasses.dataclass(frozen=True)
class JoinedMedia:
    """The whole recording's WAV (`chunks`), its length and where it started, and its source."""

    chunks: Iterator[bytes]
    frames: int
    sample_rate: int
    channels: int
    start_time: datetime
    source: dict[str, Any]


def joined_media(
    blobs: BlobStore, active: ActiveRecording, summary: RecordingSummary, sink: SpoolSink
) -> JoinedMedia | None:
    """The earlier part + the gap's silence + this session's spool, or None when they cannot be
    joined (a format that differs, earlier media that cannot be read): the caller keeps this part
    as a recording of its own."""
    continues = active.continues or {}
    fmt = WavFormat(summary.sample_rate, summary.channels)
    earlier_key = continues.get("mediaKey")
    try:
        earlier_bytes = _earlier_bytes(blobs, earlier_key, fmt) if earlier_key else 0
    except Exception:
        log.exception("recording %s: its earlier part cannot be read; kept apart", active.recording_id)
        return None
    if earlier_bytes is None:
        return None
    earlier_end = parse_iso_time(str(continues["endTime"]), "endTime")
    gap_frames = max(0, round((active.start_time - earlier_end).total_seconds() * fmt.sample_rate))
    later_bytes = summary.frames_recorded * fmt.block if sink.holds_audio else 0
    pieces = [
        WavPiece(earlier_bytes, (lambda: blobs.open(earlier_key)) if earlier_key else None),
        WavPiece(gap_frames * fmt.block),
        WavPiece(later_bytes, sink.chunks if later_bytes else None),
    ]
    earlier_frames = earlier_bytes // fmt.block
    source = dict(active.source or {})
    source["gaps"] = [
        *source.get("gaps", []),
        {
            "at": format_iso_duration(earlier_frames / fmt.sample_rate),
            "duration": format_iso_duration(gap_frames / fmt.sample_rate),
        },
    ]
    return JoinedMedia(
        chunks=joined_wav(fmt, pieces),
        frames=earlier_frames + gap_frames + later_bytes // fmt.block,
        sample_rate=fmt.sample_rate,
        channels=fmt.channels,
        start_time=parse_iso_time(str(continues["startTime"]), "startTime"),
        source=source,
    )


def _earlier_bytes(blobs: BlobStore, key: str, fmt: WavFormat) -> int | None:
    """The data bytes of the earlier part's WAV, or None when its format is not `fmt`."""
    header = b"".join(blobs.open(key, 0, HEADER_BYTES - 1))
    stored = read_wav_format(header)
    if stored != fmt:
        log.error("the earlier part %s is %s, the continuation %s: kept apart", key, stored, fmt)
        return None
    data = blobs.size(key) - HEADER_BYTES
    return data - data % fmt.block
