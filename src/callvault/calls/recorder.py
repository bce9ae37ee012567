"""The recorder of one live call: aligns tracks, cuts paused media, streams frames to a sink.

Pure: no I/O of its own; it writes int16 frames to a :class:`PcmSink` (``media.audio.WavWriter``
or ``Mp3Writer`` in production, a list in tests).

Time is the *media clock*, counted in samples at ``sample_rate``: each track's position is the
number of samples it has delivered (plus any silence the recorder padded in, see below). Wall
time never enters.

* **Alignment.** Output frame ``i`` holds every track's sample ``i``. Mono mixes the tracks (a sum
  saturated to int16); multichannel gives each track its own column in ``tracks`` order, so the
  default ``("inbound", "outbound")`` puts inbound on channel 1 and outbound on channel 2.
  Frames are released to the sink only up to the position every active track has reached.
* **Quiet tracks.** A track that falls more than ``max_lag_seconds`` behind the leading track is
  treated as quiet: it is padded with silence up to the leader, and kept level with the leader
  while it stays quiet, so the leader is never held back and memory stays bounded (at most
  ``max_lag_seconds`` a track, plus the packet in hand). When a quiet track delivers audio again
  (or a track starts late) its audio lands at the position the stream has reached when that
  audio arrives: with no timestamps in the stream, this is exact to within one packet.
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

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

__all__ = ["CallRecorder", "PcmSink", "RecorderState", "RecordingSummary"]

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

    @property
    def duration_seconds(self) -> float:
        return self.frames_recorded / self.sample_rate


class _SampleQueue:
    """The samples of one track that are not yet released, oldest first."""

    def __init__(self) -> None:
        self._chunks: deque[np.ndarray] = deque()
        self.size = 0

    def push(self, samples: np.ndarray) -> None:
        if len(samples):
            self._chunks.append(samples)
            self.size += len(samples)

    def push_silence(self, count: int) -> None:
        self.push(np.zeros(count, dtype=np.int16))

    def pop(self, count: int) -> np.ndarray:
        pieces: list[np.ndarray] = []
        needed = count
        while needed:
            head = self._chunks[0]
            if len(head) <= needed:
                pieces.append(self._chunks.popleft())
                needed -= len(head)
            else:
                pieces.append(head[:needed])
                self._chunks[0] = head[needed:]
                needed = 0
        self.size -= count
        if len(pieces) == 1:
            return pieces[0]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)


class _Track:
    def __init__(self) -> None:
        self.queue = _SampleQueue()
        self.position = 0
        self.quiet = False

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
        self._tracks = {name: _Track() for name in self._track_names}
        self._max_lag = max(1, round(max_lag_seconds * sample_rate))
        self._lock = threading.Lock()
        self._released = 0
        self._frames_recorded = 0
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
        """Append int16 mono ``samples`` (at ``sample_rate``) at ``track``'s media position.

        ``at`` is where the source says they begin on the track's own media clock; the recorder
        does not place audio by it yet (the live-audio seam passes it through)."""
        if track not in self._tracks:
            raise ValueError(f"unknown track {track!r}; this recorder has {list(self._track_names)}")
        if not isinstance(samples, np.ndarray) or samples.dtype != np.int16 or samples.ndim != 1:
            raise TypeError("samples must be a one-dimensional numpy int16 array")
        with self._lock:
            if self._summary is not None:
                return
            self._append(self._tracks[track], samples.copy())
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
            )
            return self._summary

    # --- under the lock ------------------------------------------------------------------------

    def _leader_position(self) -> int:
        return max(state.position for state in self._tracks.values())

    def _append(self, track: _Track, samples: np.ndarray) -> None:
        track.quiet = False
        track.append(samples)
        leader = self._leader_position()
        for state in self._tracks.values():
            if leader - state.position > self._max_lag:
                state.quiet = True
            if state.quiet:
                state.pad_to(leader)

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
            frames = self._take(segment_end - self._released)
            if keep:
                self._sink.write(frames)
                self._frames_recorded += len(frames)
            self._released = segment_end
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
