"""The live-call runtime of one process: media sessions, their recorders, the media owner's heartbeat.

A :class:`MediaSession` is one live source of one call (a media WebSocket, a SIPREC session). When
the source starts (:meth:`MediaSession.start_tracks`) it subscribes to the call's
:class:`~callvault.calls.control.CallControlBus`, marks itself the call's media owner in the
database and opens a :class:`~callvault.calls.recorder.CallRecorder` when the call has an active
recording. Samples are resampled to the recording rate (8000 Hz when every track is 8 kHz, 16000 Hz
when one is wideband) and fed to the recorder; commands from the bus pause, resume, start and stop
it. It never sees a wire format: ``calls.stream_formats`` parses those.

A recording ends when it is stopped, when the call hangs up, when the source stops (``complete``),
when the source breaks off while the recording is still active (``broken``), or when callvault
fails while recording it (``failed``); the last two are stored ``partial``. The runtime then hands
the recorder's summary and its spool file to the :class:`~callvault.calls.spools.RecordingKeeper`
it was built with: storing a recording is a use case of the services layer, which this engine does
not import.

A recording's spool, and the finishing of those a killed process left, are the
:class:`~callvault.calls.spools.SpoolDirectory`'s.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from callvault.calls.control import CallControlBus
from callvault.calls.media_clock import MediaClockLimits
from callvault.calls.media_stream import TRACK_NAMES
from callvault.calls.recorder import CallRecorder
from callvault.calls.sinks import SpoolSink
from callvault.calls.spools import Outcome, RecordingKeeper, SpoolDirectory
from callvault.domain.errors import CallNotActive, MediaStreamError
from callvault.domain.records import ActiveRecording, Call
from callvault.domain.timefmt import utcnow
from callvault.media.audio import resample_linear
from callvault.store import calls_repo
from callvault.store.database import MetadataStore

__all__ = [
    "recording_sample_rate",
    "LiveCallRuntime",
    "MediaSession",
]

log = logging.getLogger("callvault.calls")


def recording_sample_rate(track_rates: Collection[int]) -> int:
    """16000 Hz when a track is wideband (16 kHz), else 8000 Hz (telephone audio)."""
    return 16000 if 16000 in track_rates else 8000


class OwnerHeartbeat:
    """Marks the calls whose media this process holds as alive, every `interval` seconds."""

    def __init__(self, store: MetadataStore, interval: float) -> None:
        self._store = store
        self._interval = interval
        self._owners: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, owner: str) -> None:
        with self._lock:
            self._owners.add(owner)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="media-owner-heartbeat", daemon=True)
                self._thread.start()

    def discard(self, owner: str) -> None:
        with self._lock:
            self._owners.discard(owner)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout=self._interval + 5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                owners = sorted(self._owners)
            try:
                with self._store.write() as conn:
                    calls_repo.touch_media_owners(conn, owners, utcnow())
            except Exception:
                log.exception("media owner heartbeat failed")


class LiveCallRuntime:
    """The live-call runtime of one process: its control bus, its media sessions' spool and heartbeat."""

    def __init__(
        self,
        store: MetadataStore,
        bus: CallControlBus,
        *,
        spool_dir: Path,
        media_owner_timeout: float,
        keep_recording: RecordingKeeper,
        media_clock_limits: MediaClockLimits | None = None,
    ) -> None:
        self.store = store
        self.media_clock_limits = media_clock_limits or MediaClockLimits()
        self.bus = bus
        self.media_owner_timeout = media_owner_timeout
        self.keep_recording = keep_recording
        self.spools = SpoolDirectory(store, spool_dir, keep_recording, media_owner_timeout / 3)
        self.owner_prefix = f"{socket.gethostname()}:{os.getpid()}"
        self.heartbeat = OwnerHeartbeat(store, media_owner_timeout / 3)

    def close(self) -> None:
        """Stop the heartbeat, the spool recovery and the control bus's listener."""
        self.spools.close()
        self.heartbeat.stop()
        self.bus.close()

    def session(self, account_id: str, call_id: str) -> MediaSession:
        return MediaSession(self, account_id, call_id)


@dataclass
class _LiveRecording:
    active: ActiveRecording
    recorder: CallRecorder
    sink: SpoolSink
    tracks: tuple[str, ...]


class MediaSession:
    """One media stream of one call (see the module docstring). Thread-safe.

    It sees samples and commands only (the wire formats are parsed in ``calls.stream_formats``).
    `start_tracks`, `stream_stopped` and `end` touch the database: call them off the
    event loop. `feed_samples` does not, and commands may arrive on any thread.
    """

    def __init__(self, live: LiveCallRuntime, account_id: str, call_id: str) -> None:
        self._live = live
        self.account_id = account_id
        self.call_id = call_id
        self.owner = f"{live.owner_prefix}:{uuid.uuid4().hex[:8]}"
        self.on_call_ended: Callable[[], None] | None = None
        self._lock = threading.RLock()
        self._rates: dict[str, int] = {}
        self._sample_rate = 8000
        self._call: Call | None = None
        self._recording: _LiveRecording | None = None
        self._attached = False
        self._closing = False
        self._stream_stopped = False
        self._finished: set[str] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._stream_reached = 0  # the furthest the stream's clock has gone, at the recording rate
        self._recording_origin = 0  # where the stream's clock stood when the recording opened

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self._call is not None

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    def start_tracks(self, tracks: dict[str, int]) -> None:
        """Take the tracks (name -> sample rate), become the call's media owner, open its active
        recording: at 8000 Hz, or 16000 Hz when a track is wideband."""
        if self._unsubscribe is not None:
            raise MediaStreamError("the stream sent a second start event")
        if not tracks or not set(tracks) <= set(TRACK_NAMES):
            raise MediaStreamError(f"tracks must be among {', '.join(TRACK_NAMES)}, got {sorted(tracks)}")
        self._rates = dict(tracks)
        self._sample_rate = recording_sample_rate(tracks.values())
        self._unsubscribe = self._live.bus.subscribe(self.account_id, self.call_id, self._on_call_changed)
        with self._lock:  # a change signalled meanwhile waits, then reads the row again
            try:
                locked = self._attach()
            except BaseException:
                self._unsubscribe()
                self._unsubscribe = None
                raise
            self._call = locked.call
            self._attached = True
            self._reconcile(locked.call)

    def feed_samples(self, track: str, samples: np.ndarray, at: int | None = None) -> None:
        """Record int16 `samples` of `track` at its own rate (ignored while no recording is active);
        `at`: samples[0]'s place on the stream's clock, in samples at that rate from the stream's
        first audio, the same zero for every track (None: after the track's previous audio)."""
        rate = self._rates.get(track)
        if rate is None:
            raise MediaStreamError(f"track {track!r} was not named when the stream started")
        if at is not None:
            at = at * self._sample_rate // rate
            self._stream_reached = max(self._stream_reached, at + len(samples) * self._sample_rate // rate)
        live = self._recording
        if live is None or track not in live.tracks:
            return
        if rate != self._sample_rate:
            samples = np.asarray(resample_linear(samples, rate, self._sample_rate))
        live.recorder.add_audio(track, samples, at=None if at is None else at - self._recording_origin)

    @property
    def position_seconds(self) -> float:
        """The media position of the active recording (0 without one)."""
        live = self._recording
        return live.recorder.position_seconds if live else 0.0

    def stream_stopped(self) -> None:
        """The stream sent `stop`: its media ended normally, so does the recording."""
        with self._lock:
            self._stream_stopped = self._closing = True
            self._finish(outcome="complete")

    def end(self, *, failed: bool = False, release_owner: bool = True) -> None:
        """The source ended: finish the recording (`partial` without a prior stop, or when callvault
        `failed` it), let the call go (`release_owner` False: the caller ends the call, and with it
        this session's ownership of its media, in one transaction)."""
        with self._lock:
            self._closing = True
            self._finish(outcome="complete" if self._stream_stopped else "failed" if failed else "broken")
        if self._unsubscribe is not None:
            self._unsubscribe()
            if release_owner:
                with self._live.store.write() as conn:
                    calls_repo.release_media_owner(conn, self.account_id, self.call_id, self.owner)
            self._live.heartbeat.discard(self.owner)

    # --- commands --------------------------------------------------------------------------------

    def _on_call_changed(self) -> None:
        """Follow the call's row, which the commit before the signal changed.

        Signals that arrive out of order (two requests racing) or before the stream attached (the
        row is read on attaching) are harmless."""
        with self._lock:
            if self._attached:
                self._reconcile()

    # --- under the lock --------------------------------------------------------------------------

    def _reconcile(self, call: Call | None = None) -> None:
        """Make the recorder match the call's row (read now unless given): open, pause, resume or
        finish the recording."""
        if call is None:
            with self._live.store.read() as conn:
                call = calls_repo.get_call(conn, self.account_id, self.call_id)
        call_active = call is not None and call.state == "active"
        wanted = call.recording if call is not None and call_active else None
        live = self._recording
        if live is not None and (wanted is None or wanted.recording_id != live.active.recording_id):
            self._finish(outcome="complete")
        if wanted is not None and call is not None:
            self._follow(wanted, paused=call.recording_state == "paused")
        if not call_active and not self._closing:
            self._closing = True
            if self.on_call_ended is not None:
                self.on_call_ended()

    def _follow(self, wanted: ActiveRecording, *, paused: bool) -> None:
        live = self._recording
        if live is None:
            if not self._closing and wanted.recording_id not in self._finished:
                self._open(wanted, paused=paused)
        elif paused:
            live.recorder.pause()
        else:
            live.recorder.resume()

    def _attach(self) -> calls_repo.LockedCall:
        with self._live.store.write() as conn:
            locked = calls_repo.lock_call(conn, self.account_id, self.call_id)
            if locked is None or locked.call.state != "active":
                raise CallNotActive(f"Call {self.call_id} has ended")
            calls_repo.set_media_owner(conn, self.account_id, self.call_id, self.owner, utcnow())
        self._live.heartbeat.add(self.owner)
        return locked

    def _open(self, active: ActiveRecording, *, paused: bool) -> None:
        if active.multi_channel:
            tracks: tuple[str, ...] = TRACK_NAMES
        else:
            tracks = tuple(name for name in TRACK_NAMES if name in self._rates)
        channels = len(tracks) if active.multi_channel else 1
        try:
            sink = self._live.spools.open_sink(
                self.account_id, self.call_id, active, self._sample_rate, channels
            )
        except FileExistsError:  # an earlier stream's process was killed: its audio is the recording
            self._finished.add(active.recording_id)
            if self._call is not None:
                self._live.spools.finish_abandoned(self._call, active)
            return
        recorder = CallRecorder(
            sink,
            sample_rate=self._sample_rate,
            multichannel=active.multi_channel,
            tracks=tracks,
            limits=self._live.media_clock_limits,
            name=f"call {self.call_id}: recording {active.recording_id}",
        )
        self._recording_origin = self._stream_reached
        if paused:
            recorder.pause()
        self._recording = _LiveRecording(active, recorder, sink, tracks)
        log.info("call %s: recording %s started", self.call_id, active.recording_id)

    def _finish(self, *, outcome: Outcome) -> None:
        live, self._recording = self._recording, None
        if live is None or self._call is None:
            return
        self._finished.add(live.active.recording_id)
        summary = live.recorder.stop()
        if not summary.received_audio:
            log.warning("call %s: recording %s received no audio", self.call_id, live.active.recording_id)
            outcome = "no-media"
        self._live.keep_recording(self._call, live.active, summary, live.sink, outcome=outcome)
