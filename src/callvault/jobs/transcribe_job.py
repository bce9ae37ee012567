"""The transcription job: run the engine on a recording and record the outcome, then call back."""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from callvault.domain.recordings import transcription_size_status
from callvault.domain.records import Job, Recording, Transcription
from callvault.domain.timefmt import utcnow
from callvault.jobs.webhook_job import enqueue_webhook
from callvault.media.blobstore import BlobStore
from callvault.services.container import Services
from callvault.services.wire import recording_event_fields, transcription_url
from callvault.store import recordings_repo
from callvault.transcription import Engine, TranscriptionError, load_engine
from callvault.webhooks import events

log = logging.getLogger("callvault.transcription")


class EngineHolder:
    """Loads the speech engine once per process, on first use, shared by the worker threads."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def get(self) -> Engine:
        with self._lock:
            if self._engine is None:
                settings = self._services.settings
                self._engine = load_engine(
                    model_dir=settings.whisper_model,
                    cache_dir=settings.model_cache_dir,
                    cpu_threads=settings.transcription_threads,
                )
            return self._engine


@contextmanager
def local_media(blobs: BlobStore, key: str) -> Iterator[Path]:
    """A local path to the blob: the file itself, or a streamed temporary copy (S3)."""
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
        recording = recordings_repo.get_recording_by_id(conn, transcription.recording_id)
    if recording is None or recording.media_key is None:
        return None
    return transcription, recording


def _run_engine(
    services: Services, holder: EngineHolder, recording: Recording, request: dict[str, Any]
) -> tuple[str, dict[str, Any] | None, str | None, str | None]:
    """-> (status, result, language, error)."""
    size_status = transcription_size_status(recording.duration_seconds)
    if size_status is not None:
        return size_status, None, None, None
    deadline = time.monotonic() + services.settings.transcription_timeout
    assert recording.media_key is not None
    try:
        with local_media(services.blobs, recording.media_key) as path:
            output = holder.get().transcribe(
                path, detect_language=bool(request.get("detectLanguage")), deadline=deadline
            )
    except TranscriptionError as exc:
        return exc.status, None, None, str(exc)
    result = {
        "transcripts": [dataclasses.asdict(t) for t in output.transcripts],
        "clips": [dataclasses.asdict(c) for c in output.clips],
    }
    return "available", result, output.language, None


def _callback_body(
    recording: Recording, transcription: Transcription, base_url: str, status: str, completed: Any
) -> dict[str, Any]:
    return events.transcription_available(
        **recording_event_fields(base_url, recording),
        tag=transcription.request.get("tag"),
        transcription_id=transcription.transcription_id,
        transcription_status=status,
        transcription_completed_time=completed,
        transcription_url=transcription_url(base_url, recording),
    )


def make_transcribe_handler(services: Services) -> Any:
    holder = EngineHolder(services)
    services.extras["engine_holder"] = holder

    def handle(job: Job) -> None:
        loaded = _load(services, job.payload["transcriptionId"])
        if loaded is None:
            return  # deleted or superseded meanwhile: nothing to do
        transcription, recording = loaded
        request = transcription.request
        status, result, language, error = _run_engine(services, holder, recording, request)
        completed = utcnow()
        with services.store.write() as conn:
            recorded = recordings_repo.finish_transcription(
                conn,
                transcription.transcription_id,
                status=status,
                completed_time=completed,
                result=result,
                language=language,
                error=error,
            )
            url = request.get("callbackUrl")
            if recorded and url:
                body = _callback_body(recording, transcription, request.get("baseUrl", ""), status, completed)
                enqueue_webhook(
                    conn,
                    url=url,
                    method=request.get("callbackMethod") or "POST",
                    body=body,
                    username=request.get("username"),
                    password=request.get("password"),
                    timeout=float(request.get("callbackTimeout") or services.settings.webhook_timeout),
                )
        log.info("transcription %s ended %s", transcription.transcription_id, status)

    return handle
