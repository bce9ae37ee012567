"""The process's spool directory: where live recordings are spooled, and how the ones a killed process
left are finished.

A live recording is spooled under a name taken from its call and recording
(``callvault.calls.sinks``), so every process that shares the directory finds it from the call's
row. A process killed mid-call leaves its spool; whichever process shares the directory finishes
such a recording from it, as ``partial`` with the audio it holds: the one that hangs the call up or
stops its recording (:meth:`SpoolDirectory.finish_abandoned`), and every serving process within
seconds, at start-up and then periodically (:meth:`SpoolDirectory.recover_abandoned`), so a restart
or a surviving neighbour finishes a call nobody hangs up. Storing what is finished is the
:class:`RecordingKeeper`'s (a use case of the services layer, which the calls package does not
import).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from callvault.calls.media_stream import TRACK_NAMES
from callvault.calls.recorder import CallRecorder, RecordingSummary
from callvault.calls.sinks import (
    CREATING_SUFFIX,
    SPOOL_SUFFIX,
    SpoolBusy,
    SpoolName,
    SpoolSink,
    parse_spool_name,
    spool_name,
)
from callvault.domain.records import ActiveRecording, Call, Recording
from callvault.media.audio import StreamedWav
from callvault.store import calls_repo, recordings_repo
from callvault.store.database import MetadataStore

__all__ = ["Outcome", "RecordingKeeper", "SpoolDirectory"]

log = logging.getLogger("callvault.calls")

Outcome = Literal["complete", "broken", "failed", "no-media", "recovered"]
"""How a recording ended: normally; its stream broke off; callvault failed while recording it; no
stream ever carried its media; its process was killed, and another finished it from the spool it
left."""


class RecordingKeeper(Protocol):
    """Keeps a live recording that ended: ``services.live_recordings.keep_recording``, bound to the
    process's stores (the runtime calls it as ``LiveCallRuntime.keep_recording``)."""

    def __call__(
        self,
        call: Call,
        active: ActiveRecording,
        summary: RecordingSummary,
        sink: SpoolSink,
        *,
        outcome: Outcome,
    ) -> Recording | None:
        """Store the ended recording (media, row, follow-up jobs); None when it was stored already.
        The sink's spool file is the keeper's to discard."""
        ...


class SpoolDirectory:
    """The spools of one directory (see the module docstring): opening a recording's spool, telling
    whether a live process holds one, finishing the ones killed processes left."""

    def __init__(
        self, store: MetadataStore, spool_dir: Path, keep_recording: RecordingKeeper, recovery_interval: float
    ) -> None:
        self.store = store
        self.spool_dir = spool_dir
        self.keep_recording = keep_recording
        self.recovery_interval = recovery_interval
        self._stop_recovery = threading.Event()
        self._recovery_thread: threading.Thread | None = None

    def close(self) -> None:
        """Stop the periodic recovery (see :meth:`start_recovery`)."""
        self._stop_recovery.set()
        if self._recovery_thread is not None:
            self._recovery_thread.join(timeout=30)

    def spool_path(self, account_id: str, call_id: str, recording_id: str) -> Path:
        return self.spool_dir / spool_name(account_id, call_id, recording_id)

    def open_sink(
        self, account_id: str, call_id: str, active: ActiveRecording, sample_rate: int, channels: int
    ) -> SpoolSink:
        """The recording's spool; FileExistsError while one from an earlier stream is still there."""
        path = self.spool_path(account_id, call_id, active.recording_id)
        return SpoolSink.create(path, active.file_format, sample_rate, channels)

    def spool_held(self, account_id: str, call_id: str, recording_id: str) -> bool:
        """Whether a live process of this machine records into the recording's spool right now."""
        path = self.spool_path(account_id, call_id, recording_id)
        return path.exists() and not SpoolSink.is_abandoned(path)

    def finish_abandoned(self, call: Call, active: ActiveRecording) -> Recording | None:
        """End a recording whose media no live process holds, as `partial`: from the spool a killed
        process left when this process can reach it, else empty. None when it was stored already or
        a live process still holds its spool (that process finishes it)."""
        try:
            reclaimed = SpoolSink.reclaim(
                self.spool_path(call.account_id, call.call_id, active.recording_id), active.file_format
            )
        except SpoolBusy:
            return None
        if reclaimed is not None:
            return self._finish_from_spool(call, active, *reclaimed)
        tracks = TRACK_NAMES if active.multi_channel else ("inbound",)
        try:
            sink = self.open_sink(call.account_id, call.call_id, active, 8000, len(tracks))
        except FileExistsError:  # another process is finishing it from a spool just now
            return None
        summary = CallRecorder(
            sink, sample_rate=8000, multichannel=active.multi_channel, tracks=tracks
        ).stop()
        return self.keep_recording(call, active, summary, sink, outcome="no-media")

    def recover_abandoned(self) -> int:
        """Finish every recording whose process was killed and left its spool here; how many."""
        recovered = 0
        for stray in self.spool_dir.glob(f".*{CREATING_SUFFIX}"):  # a process killed creating a spool
            if SpoolSink.is_abandoned(stray):
                stray.unlink(missing_ok=True)
        for path in sorted(self.spool_dir.glob(f"*{SPOOL_SUFFIX}")):
            names = parse_spool_name(path.name)
            if names is None:
                continue
            try:
                if self._recover_spool(path, names):
                    recovered += 1
            except Exception:
                log.exception("recovering the live recording spool %s failed", path.name)
        return recovered

    def start_recovery(self, interval: float | None = None) -> None:
        """Recover abandoned spools now (in the background) and then every ``interval`` seconds."""
        every = self.recovery_interval if interval is None else interval

        def run() -> None:
            while True:
                try:
                    self.recover_abandoned()
                except Exception:  # e.g. EMFILE listing the directory: try again next round
                    log.exception("recovering abandoned live recording spools failed")
                if self._stop_recovery.wait(every):
                    return

        self._recovery_thread = threading.Thread(target=run, name="spool-recovery", daemon=True)
        self._recovery_thread.start()

    def _recover_spool(self, path: Path, names: SpoolName) -> bool:
        if not SpoolSink.is_abandoned(path):
            return False  # a live process is recording into it: no need to read the database
        recording_id = names.recording_id
        with self.store.read() as conn:
            call = _spooled_call(conn, names)
            stored = (
                recordings_repo.get_recording_by_id(conn, call.account_id, recording_id) if call else None
            )
        if call is None:
            log.error("spool %s names no call (or more than one); left as it is", path.name)
            return False
        active = call.recording if call.recording and call.recording.recording_id == recording_id else None
        file_format = (
            active.file_format if active else "mp3" if stored and stored.file_format == "mp3" else "wav"
        )
        try:
            reclaimed = SpoolSink.reclaim(path, file_format)
        except SpoolBusy:
            return False
        if reclaimed is None:
            return False
        sink, audio = reclaimed
        if stored is not None and stored.duration_seconds:  # stored in full; only the spool was left
            sink.discard()
            return False
        if active is None:  # its call ended by a process that could not reach the spool, or died first
            start = (
                stored.start_time if stored else sink.written_at() - timedelta(seconds=audio.duration_seconds)
            )
            tag = stored.tag if stored else None
            active = ActiveRecording(recording_id, start, base_url="", file_format=file_format, tag=tag)
        self._finish_from_spool(call, active, sink, audio)
        return True

    def _finish_from_spool(
        self, call: Call, active: ActiveRecording, sink: SpoolSink, audio: StreamedWav
    ) -> Recording | None:
        log.warning(
            "call %s: recording %s finished from the spool of a killed process (%.2f s of audio)",
            call.call_id,
            active.recording_id,
            audio.duration_seconds,
        )
        summary = RecordingSummary(audio.frames, audio.sample_rate, audio.channels, ())
        return self.keep_recording(call, active, summary, sink, outcome="recovered")


def _spooled_call(conn: Any, names: SpoolName) -> Call | None:
    """The call a spool belongs to: by account and id, or (a spool named before call ids were unique
    per account only) the one call in any account with its id."""
    if names.account_id is not None:
        return calls_repo.get_call(conn, names.account_id, names.call_id)
    found = calls_repo.find_calls_in_any_account(conn, names.call_id)
    return found[0] if len(found) == 1 else None
