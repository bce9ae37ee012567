"""The transcription job: run the engine on a recording and record the outcome, then call back."""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from callvault.domain.errors import MediaIntegrityFailed, MediaSealed
from callvault.domain.recordings import transcription_size_status
from callvault.domain.records import Job, Recording, Transcription, TranscriptionRequest
from callvault.domain.redaction import RedactionPolicy
from callvault.domain.timefmt import utcnow
from callvault.jobs.runner import JobHandler
from callvault.media.blobstore import BlobInfo, BlobStore
from callvault.services.container import Services
from callvault.services.media_keys import media_errors, seal_if_customer_held
from callvault.services.notifications import enqueue_webhook
from callvault.services.recordings import enqueue_purge
from callvault.services.redaction import adopt_redacted_copy, policy_for, redact_output, write_redacted_copy
from callvault.services.wire import recording_event_fields, transcription_url
from callvault.store import recordings_repo
from callvault.transcription import TranscriptionError
from callvault.transcription.output import Clip
from callvault.webhooks import events
from callvault.webhooks.delivery import WebhookRequest

log = logging.getLogger("callvault.transcription")


@contextmanager
def local_media(blobs: BlobStore, key: str) -> Iterator[Path]:
    """A local path to the blob: the file itself, or a streamed temporary copy (S3, or encrypted
    media: the decrypted copy lives only while the engine reads it)."""
    path = blobs.local_path(key)
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="callvault-media-") as tmp:
        copy = Path(tmp) / Path(key).name
        with copy.open("wb") as out:
            for chunk in blobs.open(key):
                out.write(chunk)
        yield copy


def _load(services: Services, transcription_id: str) -> tuple[Transcription, Recording] | None:
    with services.store.read() as conn:
        transcription = recordings_repo.get_transcription_by_id(conn, transcription_id)
        if transcription is None or transcription.status != "processing":
            return None
        recording = recordings_repo.get_recording_by_id(
            conn, transcription.account_id, transcription.recording_id
        )
    if recording is None or recording.media_key is None:
        return None
    return transcription, recording


@dataclasses.dataclass
class EngineOutcome:
    status: str
    result: dict[str, Any] | None = None
    language: str | None = None
    error: str | None = None
    redacted_copy: BlobInfo | None = None
    """The recording's audio with the redacted spans filled (when redaction found something)."""


def _run_engine(
    services: Services, recording: Recording, request: TranscriptionRequest, redaction: RedactionPolicy | None
) -> EngineOutcome:
    size_status = transcription_size_status(recording.duration_seconds)
    if size_status is not None:
        return EngineOutcome(size_status)
    deadline = time.monotonic() + services.settings.transcription_timeout
    assert recording.media_key is not None
    copy = None
    try:
        with media_errors(recording.recording_id), local_media(services.blobs, recording.media_key) as path:
            output = services.speech.transcribe(
                path,
                detect_language=request.detect_language,
                deadline=deadline,
                word_timestamps=redaction is not None,
            )
            if redaction is not None:
                redacted = redact_output(output, redaction)
                output = redacted.output
                if redacted.spans:
                    copy = write_redacted_copy(
                        services.blobs, path, recording, redacted.spans, redaction.audio
                    )
                    log.info("redacted %s: %s", recording.recording_id, ", ".join(redacted.kinds))
    except TranscriptionError as exc:
        return EngineOutcome(exc.status, error=str(exc))
    except (MediaIntegrityFailed, MediaSealed) as exc:
        return EngineOutcome("error", error=exc.description)
    result = {
        "transcripts": [dataclasses.asdict(t) for t in output.transcripts],
        "clips": [_stored_clip(c) for c in output.clips],
    }
    return EngineOutcome("available", result, output.language, None, copy)


def _stored_clip(clip: Clip) -> dict[str, Any]:
    stored = dataclasses.asdict(clip)
    del stored["words"]  # word timings serve redaction only
    return stored


def _callback_body(
    recording: Recording, transcription: Transcription, base_url: str, status: str, completed: Any
) -> dict[str, Any]:
    return events.transcription_available(
        **recording_event_fields(base_url, recording),
        tag=transcription.request.tag,
        transcription_id=transcription.transcription_id,
        transcription_status=status,
        transcription_completed_time=completed,
        transcription_url=transcription_url(base_url, recording),
    )


def make_transcribe_handler(services: Services) -> JobHandler:
    def handle(job: Job) -> None:
        loaded = _load(services, job.payload["transcriptionId"])
        if loaded is None:
            return  # deleted or superseded meanwhile: nothing to do
        transcription, recording = loaded
        request = transcription.request
        started = time.monotonic()
        redaction = policy_for(services.store, recording.account_id, request.redact)
        outcome = _run_engine(services, recording, request, redaction)
        status = outcome.status
        completed = utcnow()
        if status == "available":
            services.telemetry.observe_transcription(
                latency_seconds=(completed - transcription.requested_at).total_seconds(),
                engine_seconds=time.monotonic() - started,
                audio_seconds=recording.duration_seconds,
            )
        with services.store.write() as conn:
            recorded = recordings_repo.finish_transcription(
                conn,
                transcription.transcription_id,
                status=status,
                completed_time=completed,
                result=outcome.result,
                language=outcome.language,
                error=outcome.error,
            )
            if outcome.redacted_copy is not None:
                assert redaction is not None
                if recorded:
                    adopt_redacted_copy(
                        conn, recording, outcome.redacted_copy, redaction, services.settings.purge_grace
                    )
                else:
                    enqueue_purge(conn, outcome.redacted_copy.key, 0)
            current = recordings_repo.get_recording_by_id(conn, recording.account_id, recording.recording_id)
            if current is not None:  # the media as it now is (a redacted copy replaces it)
                seal_if_customer_held(
                    conn, services.media_keys, current.account_id, current.recording_id, current.media_key
                )
            if recorded and request.callback_url:
                webhook = WebhookRequest(
                    url=request.callback_url,
                    method=request.callback_method,
                    body=_callback_body(recording, transcription, request.base_url, status, completed),
                    username=request.username,
                    password=request.password,
                    timeout=request.callback_timeout or services.settings.webhook_timeout,
                )
                enqueue_webhook(conn, webhook)
        log.info("transcription %s ended %s", transcription.transcription_id, status)

    return handle
