"""Finishing a live recording: its spool file into the blob store, then one transaction with the
recording row, its recordingAvailable webhook job and, with `transcribe`, the transcription request.
The live-call runtime (`calls.runtime`) calls :func:`keep_recording` as its `RecordingKeeper` hook,
bound to the process's settings and stores when `Services` is built (so it takes those parts, not
`Services`, which does not exist yet when the runtime is made).

A recording recovered from a killed process's spool may find its row already there, empty: the call
was hung up by a process that could not reach the spool. The recovered media then fills that row
(still `partial`); its webhook went out already and is not sent again.

A spool whose write failed mid-call (a full disk, the WAV size limit) keeps its audio up to the last
good frame: that audio is stored, `partial`. When the media store cannot take the media, the spool is
left for spool recovery (`partial` and empty until then, filled when it succeeds): a recording is
never lost to a write error."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from callvault.calls.recorder import RecordingSummary
from callvault.calls.sinks import SpoolSink
from callvault.calls.spools import Outcome
from callvault.domain.ids import new_recording_id
from callvault.domain.records import ActiveRecording, Call, Recording, TranscriptionRequest
from callvault.domain.timefmt import end_time_of, utcnow
from callvault.media.blobstore import BlobInfo, BlobStore
from callvault.services.continued_recordings import JoinedMedia, joined_media
from callvault.services.media_keys import MediaKeyDirectory, seal_if_customer_held
from callvault.services.notifications import enqueue_webhook
from callvault.services.recordings import enqueue_purge
from callvault.services.transcriptions import add_transcription_request
from callvault.services.wire import recording_event_fields
from callvault.settings import Settings
from callvault.store import calls_repo, recordings_repo
from callvault.store.database import MetadataStore
from callvault.store.recordings_repo import DuplicateRecording
from callvault.webhooks import events
from callvault.webhooks.delivery import WebhookRequest

log = logging.getLogger("callvault.calls")


def keep_recording(
    settings: Settings,
    store: MetadataStore,
    blobs: BlobStore,
    call: Call,
    active: ActiveRecording,
    summary: RecordingSummary,
    sink: SpoolSink,
    *,
    outcome: Outcome,
    media_keys: MediaKeyDirectory | None = None,
) -> Recording | None:
    """Store the recording's media and row, with its webhook and transcription jobs; None when
    another process had already finished it. A customer-held account's media is sealed here unless
    a transcription is queued (the transcription job seals it then)."""
    keep_spool = False
    try:
        if sink.frames_kept is not None:
            summary = summary.truncated(sink.frames_kept)
        joined = joined_media(blobs, active, summary, sink) if active.continues else None
        if active.continues and joined is None:  # cannot be joined: this part is a recording of its own
            active = dataclasses.replace(active, recording_id=new_recording_id(), continues=None)
        blob = _store_media(blobs, sink, joined)
        keep_spool = blob is None and sink.holds_audio
        if keep_spool:
            summary = summary.truncated(0)  # an empty `partial` row, for spool recovery to fill
        recording = _recording_row(call, active, summary, sink, blob, keep_spool=keep_spool)
        if joined is not None and blob is not None:
            recording = _joined_row(recording, joined)
        with store.write() as conn:
            still_active = calls_repo.clear_recording(
                conn, call.account_id, call.call_id, active.recording_id
            )
            recording = dataclasses.replace(recording, status=_status(recording, outcome, still_active))
            stored: Recording | None
            if joined is not None:
                stored = _replace_continued(settings, conn, recording, active) if blob else None
            else:
                try:
                    stored = recordings_repo.insert_recording(conn, recording)
                except DuplicateRecording:
                    stored = (
                        _fill_empty(settings, conn, recording) if outcome == "recovered" and blob else None
                    )
                else:
                    _enqueue_follow_ups(settings, conn, stored, active)
            if stored is not None:
                seal_if_customer_held(
                    conn, media_keys, stored.account_id, stored.recording_id, stored.media_key
                )
        if stored is None and blob is not None:
            blobs.delete(blob.key)
        log.info("call %s: recording %s ended %s", call.call_id, active.recording_id, recording.status)
        return stored
    finally:
        if keep_spool:
            sink.release()
        else:
            sink.discard()


def _fill_empty(settings: Settings, conn: Any, recording: Recording) -> Recording | None:
    filled = recordings_repo.fill_empty_recording(conn, recording)
    if filled is None:
        return None
    stored, previous_key = filled
    if previous_key is not None:
        enqueue_purge(conn, previous_key, settings.purge_grace)
    return stored


def _replace_continued(
    settings: Settings, conn: Any, recording: Recording, active: ActiveRecording
) -> Recording | None:
    """The earlier part's row takes the joined media; its old media is purged."""
    earlier_key = (active.continues or {}).get("mediaKey")
    stored = recordings_repo.replace_continued_recording(conn, recording)
    if stored is not None:
        if earlier_key:
            enqueue_purge(conn, str(earlier_key), settings.purge_grace)
        _enqueue_follow_ups(settings, conn, stored, active)
    return stored


def _joined_row(recording: Recording, joined: JoinedMedia) -> Recording:
    return dataclasses.replace(
        recording,
        start_time=joined.start_time,
        duration_seconds=joined.frames / joined.sample_rate,
        channels=joined.channels,
        sample_rate=joined.sample_rate,
        source=joined.source,
    )


def _store_media(blobs: BlobStore, sink: SpoolSink, joined: JoinedMedia | None = None) -> BlobInfo | None:
    if not sink.holds_audio and joined is None:
        return None
    key = blobs.new_key(f".{sink.file_format}")
    try:
        return blobs.write(key, joined.chunks if joined is not None else sink.chunks())
    except Exception:
        log.exception(
            "storing live recording media failed; its spool %s is kept for recovery", sink.path.name
        )
        return None


def _status(recording: Recording, outcome: Outcome, still_active: bool) -> str:
    if recording.status in ("error", "partial"):
        return recording.status
    if outcome in ("failed", "no-media", "recovered") or (outcome == "broken" and still_active):
        return "partial"
    return "complete"


def _recording_row(
    call: Call,
    active: ActiveRecording,
    summary: RecordingSummary,
    sink: SpoolSink,
    blob: BlobInfo | None,
    *,
    keep_spool: bool,
) -> Recording:
    paused = sum(end - start for start, end in summary.paused_intervals)
    return Recording(
        recording_id=active.recording_id,
        account_id=call.account_id,
        call_id=call.call_id,
        application_id=call.application_id,
        from_number=call.from_number,
        to_number=call.to_number,
        direction=call.direction,
        channels=summary.channels,
        sample_rate=summary.sample_rate,
        start_time=active.start_time,
        end_time=end_time_of(active.start_time, summary.duration_seconds + paused),
        duration_seconds=summary.duration_seconds,
        file_format=active.file_format,
        status=_media_status(sink, blob, keep_spool=keep_spool),
        media_key=blob.key if blob else None,
        media_size=blob.size if blob else None,
        media_sha256=blob.sha256 if blob else None,
        tag=active.tag,
        source=active.source,
        created_at=utcnow(),
    )


def _media_status(sink: SpoolSink, blob: BlobInfo | None, *, keep_spool: bool) -> str:
    """`error`: no audio to keep; `partial`: cut short by a write error, or waiting for recovery."""
    if keep_spool or (blob is not None and sink.error is not None):
        return "partial"
    return "complete" if blob is not None else "error"


def _enqueue_follow_ups(settings: Settings, conn: Any, recording: Recording, active: ActiveRecording) -> None:
    if active.recording_available_url:
        webhook = WebhookRequest(
            url=active.recording_available_url,
            method=active.recording_available_method,
            body=_recording_available_body(recording, active.base_url),
            username=active.username,
            password=active.password,
            timeout=settings.webhook_timeout,
        )
        enqueue_webhook(conn, webhook)
    if active.transcribe and recording.media_key is not None:
        request = TranscriptionRequest(
            base_url=active.base_url,
            callback_kind="recording",
            callback_url=active.transcription_available_url,
            callback_method=active.transcription_available_method,
            username=active.username,
            password=active.password,
            tag=active.tag,
            detect_language=active.detect_language,
        )
        add_transcription_request(conn, recording.account_id, recording.recording_id, request)


def _recording_available_body(recording: Recording, base_url: str) -> dict[str, Any]:
    return events.recording_available(
        **recording_event_fields(base_url, recording),
        channels=recording.channels,
        tag=recording.tag,
        status=recording.status,
    )
