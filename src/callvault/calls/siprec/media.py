"""The RTP streams of one SIPREC session, turned into the tracks of a call's recorder. Pure: the
transport passes datagrams and the time in, and audio goes out through the output callback as
``output(track, samples, at=at)``.

Each accepted stream of the session's SDP has a :class:`~callvault.calls.rtp.JitterBuffer` and a
track: the stream sent by the first participant (the caller) is ``inbound`` (channel 1), the
other ``outbound`` (channel 2). :meth:`SiprecMedia.tick` releases what the buffers hold, one call
of the output per track and run of contiguous audio, so a recorder sees a few large writes rather
than one per packet.

The session clock: ``at`` is where ``samples[0]`` lies, in samples at 8000 Hz counted from the
session's first packet, the same zero for every track. Each track follows its stream's RTP clock,
exactly once: a gap in the timestamps (lost packets, suppressed silence, comfort noise) is a gap in
``at`` that the recorder fills (no silence is made here, but see the last paragraph). A stream is
anchored to the session clock by its arrival: its first packet, and the first after a new SSRC, a
restarted clock or a resume, lands where the session had got to when it arrived, in whole 20 ms
packets, never before audio its track already has. Arrival is when the kernel received the packet
(``api/sip/rtp_ports.py``; the read time where the kernel gives none), and up to `jitter_delay` of
lateness counts as on time: two legs that start together stay sample-aligned, and a stream whose
SSRC changes mid-sentence goes on without a gap.

Timestamps are trusted as far as the wall clock allows: audio that would lie more than
`max_ahead` seconds ahead of its arrival (a timestamp jumping hours ahead) is anchored by its
arrival instead, and audio that still lies that far ahead (sent faster than real time) is refused
(``ahead`` in the stream's stats), so a recording never outgrows the call by more than that.

While the client holds the streams (``a=inactive``, its pause) their packets are dropped; on resume
every track goes on from the longest track's end, anchored anew, so the hold leaves no silence.

An output without an ``at`` parameter (a recorder that places audio where its track has got to)
gets each gap as silence instead, in pieces of at most a second, and every track padded to the
longest on resume.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from callvault.calls.rtp import DECODERS, JitterBuffer, RtpAudio, RtpStats, parse_rtp
from callvault.calls.siprec.sdp import Codec

__all__ = ["AddAudio", "SiprecMedia", "StreamPlan"]

RATE = 8000
PACKET_SAMPLES = RATE // 50
AddAudio = Callable[..., None]
"""``(track, samples, *, at)``: int16 `samples` of `track`, ``samples[0]`` at `at` on the session clock."""
_SILENCE = np.zeros(RATE, dtype=np.int16)
_SILENCE.flags.writeable = False


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
        self.offset: int | None = None  # session position minus the stream's clock; None: not anchored
        self.end = 0  # the session position just after the track's audio so far
        self.delivered = 0  # what an output without `at` has been given, silence included


def _takes_at(output: AddAudio) -> bool:
    try:
        parameters = inspect.signature(output).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "at" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


class SiprecMedia:
    """See the module docstring. Not thread-safe: drive it from one event loop."""

    def __init__(
        self,
        plans: list[StreamPlan],
        output: AddAudio,
        *,
        jitter_delay: float = 0.06,
        max_ahead: float = 2.0,
    ) -> None:
        if len({plan.track for plan in plans}) != len(plans):
            raise ValueError("each stream needs its own track")
        self._streams = {plan.index: _Stream(plan, jitter_delay) for plan in plans}
        self._tolerance = jitter_delay * RATE
        self._max_ahead = max_ahead * RATE
        self._epoch: tuple[float, int] | None = None  # (wall time, session position) the clock started at
        self._start_position = 0  # where the next epoch starts
        self._held = False
        self.last_packet_at: float | None = None
        self.set_output(output)

    def set_output(self, output: AddAudio) -> None:
        """Send audio to `output` from now on (the recorder exists once the call does)."""
        self._output = output
        self._output_places = _takes_at(output)

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
        if self._epoch is None:
            self._epoch = (now, self._start_position)
        self._deliver(stream, stream.buffer.push(packet, now))

    def tick(self, now: float) -> None:
        """Release what every stream's jitter buffer lets go at `now`."""
        for stream in self._streams.values():
            self._deliver(stream, stream.buffer.drain(now))

    def flush(self) -> None:
        """Release everything held (before a pause takes effect, or when the session ends)."""
        for stream in self._streams.values():
            self._deliver(stream, stream.buffer.flush())

    def hold(self) -> None:
        """The client put the streams on hold: flush, then drop their packets until :meth:`resume`."""
        self.flush()
        self._held = True

    def resume(self) -> None:
        """The streams flow again from the longest track's end, each anchored anew."""
        if not self._held:
            return
        self._held = False
        leader = max((stream.end for stream in self._streams.values()), default=0)
        for stream in self._streams.values():
            stream.buffer.resync()
            stream.offset = None
            stream.end = leader
            if not self._output_places:
                self._fill(stream, leader)
        self._epoch = None
        self._start_position = leader

    def _deliver(self, stream: _Stream, released: list[RtpAudio]) -> None:
        run_at, pieces = 0, list[np.ndarray]()
        for audio in released:
            at, samples = self._place(stream, audio)
            if not len(samples):
                continue
            if pieces and at != stream.end:
                self._write(stream, run_at, pieces)
                pieces = []
            if not pieces:
                run_at = at
            pieces.append(samples)
            stream.end = at + len(samples)
        if pieces:
            self._write(stream, run_at, pieces)

    def _place(self, stream: _Stream, audio: RtpAudio) -> tuple[int, np.ndarray]:
        """Where `audio` lies on the session clock (anchoring its stream if it must), and the part of
        it that its track does not have yet."""
        at = None if stream.offset is None or audio.restart else audio.clock + stream.offset
        limit = self._reached(audio.arrival) + self._max_ahead
        if at is None or at > limit:
            at = self._anchor(stream, audio.arrival)
            stream.offset = at - audio.clock
        samples = audio.samples
        if at > limit and len(samples):  # sent faster than real time: refused
            stream.buffer.stats.ahead += 1
            return at, samples[:0]
        if at < stream.end:
            samples, at = samples[stream.end - at :], stream.end
        return at, samples

    def _reached(self, arrival: float) -> float:
        """The session position at wall time `arrival`."""
        assert self._epoch is not None
        wall, position = self._epoch
        return position + (arrival - wall) * RATE

    def _anchor(self, stream: _Stream, arrival: float) -> int:
        reached = self._reached(arrival)
        if reached - stream.end <= self._tolerance:
            return stream.end
        assert self._epoch is not None
        position = self._epoch[1]
        return max(stream.end, position + round((reached - position) / PACKET_SAMPLES) * PACKET_SAMPLES)

    def _write(self, stream: _Stream, at: int, pieces: list[np.ndarray]) -> None:
        samples = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
        track = stream.plan.track
        if self._output_places:
            self._output(track, samples, at=at)
            return
        self._fill(stream, at)
        self._output(track, samples)
        stream.delivered = at + len(samples)

    def _fill(self, stream: _Stream, position: int) -> None:
        """Silence up to `position`, for an output without `at`."""
        while stream.delivered < position:
            silence = _SILENCE[: position - stream.delivered]
            self._output(stream.plan.track, silence)
            stream.delivered += len(silence)
