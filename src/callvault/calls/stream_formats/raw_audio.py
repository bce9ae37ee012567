"""Raw audio streams: one JSON metadata text frame, then binary frames of L16 audio (jambonz
``listen``, FreeSWITCH ``mod_audio_fork``, Vonage WebSockets).

The metadata names the call (``callSid``, ``callId``, ``call_sid`` or ``uuid``), optionally
``from``, ``to`` and ``direction``, and the audio: ``sampleRate`` 8000 or 16000 (default 8000), and
``mixType`` ``mono``/``mixed`` (one channel) or ``stereo`` (two: the caller on channel 1, the
callee on 2; ``channels`` 1 or 2 says the same). Audio frames are signed 16-bit little-endian
samples, channels interleaved, as those platforms send them; a frame need not end on a sample
boundary (the remainder waits for the next frame). The platform ends the stream by closing the
socket.
"""

from __future__ import annotations

from typing import Any, TypeGuard

import numpy as np

from callvault.calls.stream_formats.events import StreamAudio, StreamEvent, StreamParser, StreamStarted
from callvault.domain.errors import MediaStreamError, ValidationFailed
from callvault.domain.json_text import load_json

_RATES = (8000, 16000)
_CALL_KEYS = ("callSid", "callId", "call_sid", "uuid")
_MAX_FRAME_BYTES = 1024 * 1024
_MAX_METADATA_BYTES = 16 * 1024


class RawAudioStream(StreamParser):
    ends_on_close = True

    def __init__(self) -> None:
        self._tracks: tuple[str, ...] = ()
        self._remainder = b""

    def text(self, message: str) -> list[StreamEvent]:
        if self._tracks:
            return []  # later text frames (platform notices) carry no audio
        if len(message) > _MAX_METADATA_BYTES:
            raise MediaStreamError(f"the metadata frame is larger than {_MAX_METADATA_BYTES} bytes")
        try:
            metadata = load_json(message, "the metadata frame")
        except ValidationFailed as exc:
            raise MediaStreamError(exc.description) from None
        if not isinstance(metadata, dict):
            raise MediaStreamError("the metadata frame must be a JSON object")
        return [self._open(metadata)]

    def binary(self, message: bytes) -> list[StreamEvent]:
        if not self._tracks:
            raise MediaStreamError("the stream must begin with a JSON metadata text frame")
        if len(message) > _MAX_FRAME_BYTES:
            raise MediaStreamError(f"audio frame is larger than {_MAX_FRAME_BYTES} bytes")
        data = self._remainder + message
        frame_bytes = 2 * len(self._tracks)
        usable = len(data) - len(data) % frame_bytes
        self._remainder = data[usable:]
        if not usable:
            return []
        samples = np.frombuffer(data[:usable], dtype="<i2").astype(np.int16)
        columns = samples.reshape(-1, len(self._tracks))
        return [
            StreamAudio(track, np.ascontiguousarray(columns[:, index]))
            for index, track in enumerate(self._tracks)
        ]

    def _open(self, metadata: dict[str, Any]) -> StreamStarted:
        call_id = next((metadata[key] for key in _CALL_KEYS if metadata.get(key)), None)
        if not isinstance(call_id, str):
            raise MediaStreamError(
                f"the metadata frame must name the call ({', '.join(_CALL_KEYS)}: a string)"
            )
        rate = metadata.get("sampleRate", 8000)
        if not _is_int(rate) or rate not in _RATES:
            raise MediaStreamError(f"sampleRate must be 8000 or 16000, got {str(rate)[:40]!r}")
        channels = {"mono": 1, "mixed": 1, "stereo": 2}.get(str(metadata.get("mixType", "")), 0)
        channels = channels or metadata.get("channels", 1)
        if not _is_int(channels) or channels not in (1, 2):
            raise MediaStreamError(
                f"channels must be 1 or 2 (mixType mono, mixed or stereo), got {str(channels)[:40]!r}"
            )
        self._tracks = ("inbound", "outbound")[:channels]
        return StreamStarted(
            call_id=call_id,
            tracks={track: int(rate) for track in self._tracks},
            from_number=_optional(metadata, "from"),
            to_number=_optional(metadata, "to"),
            direction=_optional(metadata, "direction"),
            source={"type": "raw-audio", "callId": call_id, "metadata": metadata},
        )


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _optional(container: dict[str, Any], key: str) -> str | None:
    value = container.get(key)
    return str(value)[:64] if value not in (None, "") else None
