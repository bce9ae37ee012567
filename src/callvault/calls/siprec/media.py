"""The RTP streams of one SIPREC session, turned into the tracks of a call's recorder. Pure: the
transport passes datagrams and the time in, and audio goes out through `add_audio`.

Each accepted stream of the session's SDP has a :class:`~callvault.calls.rtp.JitterBuffer` and a
track: the stream sent by the first participant (the caller) is ``inbound`` (channel 1), the
other ``outbound`` (channel 2). :meth:`SiprecMedia.tick` releases what the buffers hold, one call
of `add_audio` per track, so a recorder sees a few large writes rather than one per packet.

Clocks: within a stream, RTP timestamps place the audio (see the jitter buffer). Between streams,
a stream's first audio lands at the time it arrived after the session's first audio, in whole 20 ms
packets. Arrival is when the event loop reads a packet, which a busy process does late, so up to
`jitter_delay` of lateness counts as starting together: two legs that start together stay
sample-aligned. A stream that starts more
than `align_within` seconds late is left to the recorder, which has by then padded the quiet track
itself and places the audio at the position the call has reached (``CallRecorder``'s quiet tracks:
keep `align_within` below its ``max_lag_seconds``). While the client holds
the streams (``a=inactive``, its pause) their packets are dropped; on resume every track is padded
to the longest and the timestamps re-anchored, so the hold leaves no silence behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from callvault.calls.rtp import DECODERS, JitterBuffer, RtpStats, parse_rtp
from callvault.calls.siprec.sdp import Codec

__all__ = ["SiprecMedia", "StreamPlan"]

RATE = 8000
PACKET_SAMPLES = RATE // 50
AddAudio = Callable[[str, np.ndarray], None]


@dataclass(frozen=True)
class StreamPlan:
    """One accepted m-line: its index in the SDP, the track it records and its payload types."""

    index: int
    track: str
    codec: Codec
    telephone_event: int | None = None


class _Stream:
    def __init__(self, plan: StreamPlan, delay: float) -> None:
        self.plan = plan
        ignored = {13} | ({plan.telephone_event} if plan.telephone_event is not None else set())
        decoders = {plan.codec.payload_type: DECODERS[plan.codec.name.upper()]}
        self.buffer = JitterBuffer(decoders, ignored=ignored, clock_rate=RATE, delay=delay)
        self.first_arrival: float | None = None


class SiprecMedia:
    """See the module docstring. Not thread-safe: drive it from one event loop."""

    def __init__(
        self,
        plans: list[StreamPlan],
        add_audio: AddAudio,
        *,
        jitter_delay: float = 0.06,
        align_within: float = 1.5,
    ) -> None:
        if len({plan.track for plan in plans}) != len(plans):
            raise ValueError("each stream needs its own track")
        self._streams = {plan.index: _Stream(plan, jitter_delay) for plan in plans}
        self._add_audio = add_audio
        self._positions = {plan.track: 0 for plan in plans}
        self._session_start: float | None = None
        self._align_within = align_within
        self._start_tolerance = jitter_delay
        self._held = False
        self.last_packet_at: float | None = None

    def set_output(self, add_audio: AddAudio) -> None:
        """Send audio to `add_audio` from now on (the recorder exists once the call does)."""
        self._add_audio = add_audio

    @property
    def tracks(self) -> tuple[str, ...]:
        return tuple(stream.plan.track for stream in self._streams.values())

    @property
    def held(self) -> bool:
        return self._held

    def stats(self) -> dict[str, RtpStats]:
        return {stream.plan.track: stream.buffer.stats for stream in self._streams.values()}

    def datagram(self, index: int, data: bytes, now: float) -> None:
        """A datagram arrived on stream `index`'s port (anything but RTP is ignored)."""
        stream = self._streams.get(index)
        if stream is None or self._held:
            return
        packet = parse_rtp(data)
        if packet is None:
            return
        self.last_packet_at = now
        if stream.first_arrival is None:
            stream.first_arrival = now
            if self._session_start is None:
                self._session_start = now
        released = stream.buffer.push(packet, now)
        if released:
            self._deliver(stream, released)

    def tick(self, now: float) -> None:
        """Release what every stream's jitter buffer lets go at `now`."""
        for stream in self._streams.values():
            released = stream.buffer.drain(now)
            if released:
                self._deliver(stream, released)

    def flush(self) -> None:
        """Release everything held (before a pause takes effect, or when the session ends)."""
        for stream in self._streams.values():
            released = stream.buffer.flush()
            if released:
                self._deliver(stream, released)

    def hold(self) -> None:
        """The client put the streams on hold: flush, then drop their packets until :meth:`resume`."""
        self.flush()
        self._held = True

    def resume(self) -> None:
        """The streams flow again: pad every track to the longest, and forget the RTP clocks."""
        if not self._held:
            return
        self._held = False
        leader = max(self._positions.values(), default=0)
        for stream in self._streams.values():
            stream.buffer.resync()
            self._pad(stream.plan.track, leader)

    def _deliver(self, stream: _Stream, chunks: list[np.ndarray]) -> None:
        track = stream.plan.track
        if self._positions[track] == 0 and stream.first_arrival is not None:
            assert self._session_start is not None
            late = stream.first_arrival - self._session_start
            if late <= self._align_within:
                packets = max(0, round((late - self._start_tolerance) * RATE / PACKET_SAMPLES))
                self._pad(track, packets * PACKET_SAMPLES)
        samples = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
        self._positions[track] += len(samples)
        self._add_audio(track, samples)

    def _pad(self, track: str, position: int) -> None:
        missing = position - self._positions[track]
        if missing > 0:
            self._positions[track] = position
            self._add_audio(track, np.zeros(missing, dtype=np.int16))
