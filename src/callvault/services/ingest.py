"""Ingest: put a finished recording (WAV or MP3) into the store."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from pydantic import BaseModel, ConfigDict, Field, field_validator

from callvault.domain.errors import Conflict, PayloadTooLarge, ValidationFailed
from callvault.domain.ids import new_recording_id, require_id
from callvault.domain.json_text import load_json
from callvault.domain.recordings import DIRECTIONS
from callvault.domain.records import Recording
from callvault.domain.timefmt import end_time_of, parse_iso_time, utcnow
from callvault.media.blobstore import BlobStore, BlobTooLarge
from callvault.media.probe import AudioInfo, InvalidAudio, probe_stream
from callvault.services.media_keys import MediaKeyDirectory, seal_if_customer_held
from callvault.services.validation import parse_body
from callvault.store import recordings_repo
from callvault.store.database import MetadataStore
from callvault.store.recordings_repo import DuplicateRecording

_CHUNK = 1 << 20


class IngestMetadata(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    recording_id: str | None = Field(default=None, alias="recordingId")
    application_id: str | None = Field(default=None, alias="applicationId", max_length=128)
    from_: str | None = Field(default=None, alias="from", max_length=64)
    to: str | None = Field(default=None, max_length=64)
    direction: str | None = None
    start_time: str | None = Field(default=None, alias="startTime")
    parent_call_id: str | None = Field(default=None, alias="parentCallId")
    transfer_caller_id: str | None = Field(default=None, alias="transferCallerId", max_length=64)
    transfer_to: str | None = Field(default=None, alias="transferTo", max_length=64)
    recording_name: str | None = Field(default=None, alias="recordingName", max_length=256)
    tag: str | None = Field(default=None, max_length=4096)

    @field_validator("direction")
    @classmethod
    def _direction(cls, value: str | None) -> str | None:
        if value is not None and value not in DIRECTIONS:
            raise ValueError(f"must be one of {', '.join(DIRECTIONS)}")
        return value


def parse_metadata(raw: str | bytes | None) -> IngestMetadata:
    if raw is None or (isinstance(raw, str | bytes) and not raw.strip()):
        return IngestMetadata()
    data = load_json(raw, "metadata part")
    if not isinstance(data, dict):
        raise ValidationFailed("Invalid metadata part: expected a JSON object")
    metadata = parse_body(IngestMetadata, data, what="metadata field")
    for name, value in (("recordingId", metadata.recording_id), ("parentCallId", metadata.parent_call_id)):
        if value is not None:
            require_id(value, name)
    return metadata


def _read_chunks(media: BinaryIO) -> Iterator[bytes]:
    media.seek(0)
    while chunk := media.read(_CHUNK):
        yield chunk


def _probe(media: BinaryIO) -> AudioInfo:
    media.seek(0)
    try:
        return probe_stream(media)
    except InvalidAudio as exc:
        raise ValidationFailed(f"Invalid media part: {exc}") from None


def _recording(
    account_id: str, call_id: str, meta: IngestMetadata, info: AudioInfo, now: datetime
) -> Recording:
    start = parse_iso_time(meta.start_time, "startTime") if meta.start_time else now
    return Recording(
        recording_id=meta.recording_id or new_recording_id(),
        account_id=account_id,
        call_id=call_id,
        application_id=meta.application_id,
        parent_call_id=meta.parent_call_id,
        from_number=meta.from_,
        to_number=meta.to,
        transfer_caller_id=meta.transfer_caller_id,
        transfer_to=meta.transfer_to,
        direction=meta.direction,
        channels=info.channels,
        sample_rate=info.sample_rate,
        start_time=start,
        end_time=end_time_of(start, info.duration),
        duration_seconds=info.duration,
        file_format=info.format,
        status="complete",
        recording_name=meta.recording_name,
        tag=meta.tag,
        created_at=now,
    )


def ingest_recording(
    store: MetadataStore,
    blobs: BlobStore,
    *,
    account_id: str,
    call_id: str,
    metadata: IngestMetadata,
    media: BinaryIO,
    max_upload: int,
    media_keys: MediaKeyDirectory | None = None,
) -> Recording:
    """Probe, store the bytes atomically, then commit the row that names them (one transaction)."""
    require_id(call_id, "callId")
    info = _probe(media)
    recording = _recording(account_id, call_id, metadata, info, utcnow())
    with store.read() as conn:
        if recordings_repo.recording_exists(conn, account_id, recording.recording_id):
            raise Conflict(f"Recording {recording.recording_id} already exists")
    key = blobs.new_key(f".{info.format}")
    try:
        blob = blobs.write(key, _read_chunks(media), max_size=max_upload)
    except BlobTooLarge:
        raise PayloadTooLarge(f"The media is larger than the {max_upload} byte upload limit") from None
    stored = dataclasses.replace(recording, media_key=key, media_size=blob.size, media_sha256=blob.sha256)
    try:
        with store.write() as conn:
            inserted = recordings_repo.insert_recording(conn, stored)
            seal_if_customer_held(conn, media_keys, account_id, inserted.recording_id, key)
            return inserted
    except DuplicateRecording:
        blobs.delete(key)
        raise Conflict(f"Recording {recording.recording_id} already exists") from None
    except BaseException:
        blobs.delete(key)
        raise
