"""The recorder of one live call: places each track's audio on the media clock, cuts paused media,
streams frames to a sink.

No I/O of its own: it writes int16 frames to a :class:`PcmSink` (``calls.sinks.SpoolSink`` in
production, a list in tests). The only wall time it reads is its injected ``clock``, and only to bound
the silence of a gap (:class:`~callvault.calls.media_clock.MediaClockLimits`).

Time is the *media clock*: a position is a number of frames at ``sample_rate`` since the recording
started. Each track has a position: the frames it holds, its audio and the silence put in for it.

* **Placing audio.** ``add_audio(track, samples, at)`` puts ``samples[0]`` at position ``at``:
  the source's own clock for that track (RTP timestamp, Twilio timestamp), in frames at the
  recorder's ``sample_rate``, counted from the recording's start with the same zero for every track.
  Each track follows its clock exactly once:

  - a gap (``at`` past the track's position) is filled with silence up to ``at``, and silence the
    recorder already put in for a quiet track counts toward it (never twice). Silence is kept as a
    count and written in pieces of at most a second, never allocated whole; how far it may go is
    bounded by ``limits`` (a clock that jumps further is clamped, and the track's later audio
    follows on from where the clamp left it: the track's clock offset moves by what was clamped);
  - audio for positions the track already holds (its own earlier audio, or silence already put in)
    is dropped: the first audio for a position wins, so a repeated or overlapping packet changes
    nothing; but a packet that lies wholly more than ``max_lag_seconds`` behind the track means the
    source's clock was reset: it and the track's later audio continue at the track's position;
  - nothing is written at or past ``limits.max_session_seconds``.

  ``at=None`` (a source without timestamps: the Bandwidth call WebSocket) appends at the track's
  position, or, for a quiet track, at the position the stream has reached when the audio arrives:
  exact to within one packet.
* **Alignment.** Output frame ``i`` holds every track's sample ``i``. Mono mixes the tracks (a sum
  saturated to int16); multichannel gives each track its own column in ``tracks`` order, so the
  default ``("inbound", "outbound")`` puts inbound on channel 1 and outbound on channel 2.
  Frames are released to the sink only up to the position every track has reached.
* **Quiet tracks.** A track that falls more than ``max_lag_seconds`` behind the leading track is
  quiet: it is padded with silence to ``max_lag_seconds`` behind the leader and kept there while it
  stays quiet, so the leader is held back by at most that much and memory stays bounded (at most
  ``max_lag_seconds`` a track, plus the packet in hand), while audio that comes back with its
  position still finds its place.
* **Pause.** :meth:`CallRecorder.pause` takes effect at the position the stream has reached
  (the maximum over tracks) and :meth:`CallRecorder.resume` at the maximum position at that
  moment. The media between the two is cut: never written, never counted. Audio a lagging track
  delivers later for positions before the pause is still recorded, so a 10 s call paused from
  3 s to 5 s yields 8 s equal, sample for sample, to the unpaused parts.
* **Stop.** :meth:`CallRecorder.stop` pads every track to the leader, flushes, closes the sink
  and returns a :class:`RecordingSummary`. After stop, audio, pause and resume are ignored: the
  WebSocket reader and the BXML executor race at the end of a call, and neither is wrong.

Thread-safety: one lock guards every method; ``pause``/``resume`` may come from a thread other
than the one calling ``add_audio``. Sink writes happen under the lock, so they stay in order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

import numpy as np

from callvault.calls.media_clock import MediaClockLimits

__all__ = ["CallRecorder", "PcmSink", "RecorderState", "RecordingSummary"]

log = logging.getLogger("callvault.calls")

RecorderState = Literal["recording", "paused", "stopped"]


class PcmSink(Protocol):
    def write(self, frames: np.ndarray) -> None:
        """Append int16 frames of shape ``(n, channels)``."""

    def close(self) -> None:
        """Finish the output; no write follows."""


@dataclass(frozen=True)
class RecordingSummary:
    frames_recorded: int
    """Frames written to the sink (paused media excluded)."""
    sample_rate: int
    channels: int
    paused_intervals: tuple[tuple[float, float], ...]
    """``(start, end)`` of each cut, in media seconds since the recording started."""
    received_audio: bool = False
    """Whether any track delivered audio (a recording may hold frames of silence only)."""

    @property
    def duration_seconds(self) -> float:
        return self.frames_recorded / self.sample_rate

    def truncated(self, frames: int) -> RecordingSummary:
        """This summary for an output that kept only its first ``frames`` frames (a write failed):
        the cuts that began after them are dropped too."""
        if frames >= self.frames_recorded:
            return self
        kept_seconds = frames / self.sample_rate
        cut = 0.0
        intervals: list[tuple[float, float]] = []
        for start, end in self.paused_intervals:
            if start - cut >= kept_seconds:
                break
            intervals.append((start, end))
            cut += end - start
        return replace(self, frames_recorded=max(0, frames), paused_intervals=tuple(intervals))


class _SampleQueue:
    """The samples of one track that are not yet released, oldest first; a run of silence is kept
    as its length and becomes samples only a piece at a time, as it is released."""

    def __init__(self) -> None:
        self._chunks: deque[np.ndarray | int] = deque()
        self.size = 0

    def push(self, samples: np.ndarray) -> None:
        if len(samples):
            self._chunks.append(samples)
            self.size += len(samples)

    def push_silence(self, count: int) -> None:
        if count <= 0:
            return
        if self._chunks and isinstance(self._chunks[-1], int):
            self._chunks[-1] += count
        else:
            self._chunks.append(count)
        self.size += count

    def pop(self, count: int) -> np.ndarray:
        pieces: list[np.ndarray] = []
        needed = count
        while needed:
            head = self._chunks[0]
            length = head if isinstance(head, int) else len(head)
            take = min(length, needed)
            if isinstance(head, int):
                pieces.append(np.zeros(take, dtype=np.int16))
            else:
                pieces.append(head[:take])
            if take == length:
                self._chunks.popleft()
            else:
                self._chunks[0] = head - take if isinstance(head, int) else head[take:]
            needed -= take
        self.size -= count
        if len(pieces) == 1:
            return pieces[0]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)


class _Track:
    def __init__(self, name: str) -> None:
        self.name = name
        self.queue = _SampleQueue()
        self.position = 0
        self.quiet = False
        self.clock_offset = 0
        """Added to the source's ``at``: moved by a clamped jump or a reset clock."""

    def append(self, samples: np.ndarray) -> None:
        self.queue.push(samples)
        self.position += len(samples)

    def pad_to(self, position: int) -> None:
        if position > self.position:
            self.queue.push_silence(position - self.position)
            self.position = position


class CallRecorder:
    """The state machine of one recording, driven by the media clock (see the module docstring)."""

    def __init__(
        self,
        sink: PcmSink,
        *,
        sample_rate: int,
        multichannel: bool,
        tracks: Sequence[str] = ("inbound", "outbound"),
        max_lag_seconds: float = 2.0,
        limits: MediaClockLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        name: str = "live recording",
    ) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        if not tracks or len(set(tracks)) != len(tracks):
            raise ValueError(f"tracks must be distinct names, at least one, got {list(tracks)}")
        if max_lag_seconds <= 0:
            raise ValueError(f"max_lag_seconds must be positive, got {max_lag_seconds}")
        self._sink = sink
        self._sample_rate = sample_rate
        self._multichannel = multichannel
        self._track_names = tuple(tracks)
        self._tracks = {name: _Track(name) for name in self._track_names}
        self._max_lag = max(1, round(max_lag_seconds * sample_rate))
        self._limits = limits or MediaClockLimits()
        self._max_frames = self._limits.max_frames(sample_rate)
        self._write_frames = sample_rate  # at most a second a sink write
        self._clock = clock
        self._started = clock()
        self._name = name
        self._lock = threading.Lock()
        self._released = 0
        self._frames_recorded = 0
        self._received_audio = False
        self._clamped = False
        self._reached_max = False
        self._pause_start: int | None = None
        self._cuts: deque[tuple[int, int | None]] = deque()  # not yet fully released; end None: open
        self._paused_intervals: list[tuple[int, int]] = []
        self._summary: RecordingSummary | None = None

    @property
    def channels(self) -> int:
        return len(self._track_names) if self._multichannel else 1

    @property
    def state(self) -> RecorderState:
        with self._lock:
            if self._summary is not None:
                return "stopped"
            return "paused" if self._pause_start is not None else "recording"

    @property
    def position_seconds(self) -> float:
        """The media position the stream has reached (the maximum over tracks), in seconds."""
        with self._lock:
            return self._leader_position() / self._sample_rate

    def add_audio(self, track: str, samples: np.ndarray, *, at: int | None = None) -> None:
        """Put int16 mono ``samples`` (at ``sample_rate``) of ``track`` at media position ``at``
        (frames since the recording started, on the source's clock), or after the track's audio
        when ``at`` is None; see the module docstring."""
        if track not in self._tracks:
            raise ValueError(f"unknown track {track!r}; this recorder has {list(self._track_names)}")
        if not isinstance(samples, np.ndarray) or samples.dtype != np.int16 or samples.ndim != 1:
            raise TypeError("samples must be a one-dimensional numpy int16 array")
        with self._lock:
            if self._summary is not None:
                return
            state = self._tracks[track]
            self._received_audio = self._received_audio or len(samples) > 0
            if at is None:
                start = self._leader_position() if state.quiet else state.position
            else:
                start = self._place(state, int(at), len(samples))
            self._append(state, samples, start)
            self._release(self._releasable_position())

    def pause(self) -> None:
        """Cut from the position the stream has reached now; a no-op while paused or stopped."""
        with self._lock:
            if self._summary is not None or self._pause_start is not None:
                return
            self._pause_start = self._leader_position()
            self._cuts.append((self._pause_start, None))

    def resume(self) -> None:
        """End the cut at the position the stream has reached now; a no-op unless paused."""
        with self._lock:
            if self._summary is not None or self._pause_start is None:
                return
            self._close_cut(self._leader_position())
            self._release(self._releasable_position())

    def stop(self) -> RecordingSummary:
        """Pad every track to the leader, flush, close the sink; later calls return the same summary."""
        with self._lock:
            if self._summary is not None:
                return self._summary
            end = self._leader_position()
            for state in self._tracks.values():
                state.pad_to(end)
            if self._pause_start is not None:
                self._close_cut(end)
            self._release(end)
            self._sink.close()
            self._summary = RecordingSummary(
                frames_recorded=self._frames_recorded,
                sample_rate=self._sample_rate,
                channels=self.channels,
                paused_intervals=tuple(
                    (start / self._sample_rate, stop / self._sample_rate)
                    for start, stop in self._paused_intervals
                ),
                received_audio=self._received_audio,
            )
            return self._summary

    # --- under the lock ------------------------------------------------------------------------

    def _leader_position(self) -> int:
        return max(state.position for state in self._tracks.values())

    def _place(self, state: _Track, at: int, count: int) -> int:
        """Where audio the source puts at ``at`` lands on this recording's timeline."""
        target = at + state.clock_offset
        if target + count < state.position - self._max_lag:  # the source's clock went back
            state.clock_offset += state.position - target
            target = state.position
        if target > state.position:
            latest = self._limits.latest_silence_end(
                reached=self._leader_position(),
                elapsed_seconds=self._clock() - self._started,
                sample_rate=self._sample_rate,
            )
            latest = max(latest, state.position)
            if target > latest:
                self._note_clamp(state, target - latest)
                state.clock_offset -= target - latest
                target = latest
        return target

    def _append(self, state: _Track, samples: np.ndarray, start: int) -> None:
        state.pad_to(start)
        held = state.position - start  # positions the track holds already: the first audio wins
        room = max(0, self._max_frames - state.position)
        kept = samples[held : held + room] if held < len(samples) else samples[:0]
        if len(kept) < len(samples) - min(held, len(samples)):
            self._note_max_length()
        if len(kept):
            state.quiet = False
            state.append(kept.copy())
        leader = self._leader_position()
        for other in self._tracks.values():
            if leader - other.position > self._max_lag:
                other.quiet = True
            if other.quiet:
                other.pad_to(leader - self._max_lag)

    def _note_clamp(self, state: _Track, frames: int) -> None:
        if not self._clamped:
            self._clamped = True
            log.warning(
                "%s: track %s's media clock jumped %.1f s further than the wall clock allows; "
                "the gap is clamped and the track's later audio follows on (logged once a recording)",
                self._name,
                state.name,
                frames / self._sample_rate,
            )

    def _note_max_length(self) -> None:
        if not self._reached_max:
            self._reached_max = True
            log.warning(
                "%s reached the maximum live session length (%.0f s); later media is not recorded",
                self._name,
                self._limits.max_session_seconds,
            )

    def _releasable_position(self) -> int:
        return min(state.position for state in self._tracks.values())

    def _close_cut(self, end: int) -> None:
        assert self._pause_start is not None
        start = self._pause_start
        self._pause_start = None
        self._cuts.pop()  # the open cut is always the last one
        if end > start:
            self._cuts.append((start, end))
            self._paused_intervals.append((start, end))

    def _release(self, target: int) -> None:
        while self._released < target:
            segment_end, keep = self._next_segment(target)
            count = min(segment_end - self._released, self._write_frames)
            frames = self._take(count)
            if keep:
                self._sink.write(frames)
                self._frames_recorded += count
            self._released += count
            while self._cuts and self._cuts[0][1] is not None and self._cuts[0][1] <= self._released:
                self._cuts.popleft()

    def _next_segment(self, target: int) -> tuple[int, bool]:
        """The end of the next run of media that is uniformly kept or cut, and whether it is kept."""
        if not self._cuts:
            return target, True
        start, end = self._cuts[0]
        if start >= target:
            return target, True
        if start > self._released:
            return start, True
        return (target if end is None else min(end, target)), False

    def _take(self, count: int) -> np.ndarray:
        columns = [self._tracks[name].queue.pop(count) for name in self._track_names]
        if self._multichannel:
            return np.stack(columns, axis=1)
        if len(columns) == 1:
            return columns[0].reshape(count, 1)
        mixed = np.sum(np.stack(columns).astype(np.int32), axis=0)
        return np.clip(mixed, -32768, 32767).astype(np.int16).reshape(count, 1)
