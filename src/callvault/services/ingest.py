"""Ingest: put a finished recording (WAV or MP3) into the store, in two steps, because an upload's
metadata part may come after its media: :func:`store_media` while the media arrives, then
:func:`record_ingested`."""

from __future__ import annotations

import dataclasses
import io
import itertools
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from callvault.domain.errors import Conflict, PayloadTooLarge, ValidationFailed
from callvault.domain.ids import new_recording_id, require_id
from callvault.domain.json_text import load_json
from callvault.domain.recordings import DIRECTIONS
from callvault.domain.records import Recording
from callvault.domain.timefmt import end_time_of, parse_iso_time, utcnow
from callvault.media.blob_reader import BlobReader
from callvault.media.blobstore import BlobInfo, BlobStore, BlobTooLarge, Chunk
from callvault.media.probe import HEAD_BYTES, AudioInfo, InvalidAudio, identify_head, probe_stream
from callvault.services.media_keys import MediaKeyDirectory, seal_if_customer_held
from callvault.services.validation import parse_body
from callvault.store import recordings_repo
from callvault.store.database import MetadataStore
from callvault.store.recordings_repo import DuplicateRecording

_Probed = TypeVar("_Probed")
_Found = TypeVar("_Found")


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


@dataclass(frozen=True)
class StoredMedia:
    """An upload's audio once stored: its blob and what the probe found in it."""

    blob: BlobInfo
    info: AudioInfo


def require_call_id(call_id: str) -> None:
    require_id(call_id, "callId")


def store_media(blobs: BlobStore, pieces: Iterable[Chunk], *, max_upload: int) -> StoredMedia:
    """Store an upload's audio as it arrives, in one pass (``pieces`` of any size). Its first bytes tell
    the format and refuse what cannot be audio before the rest is written; once stored, the blob is
    probed (a few reads at its head for WAV; an MP3 without a frame count has its frames walked)."""
    stream = iter(pieces)
    head = _head_of(stream)
    if len(head) < HEAD_BYTES:  # the whole upload has arrived: probe it as it is
        probed = _probed(io.BytesIO(head))
        info: AudioInfo | None = probed
        media_format = probed.format
    else:
        info = None
        media_format = _checked(identify_head, head)
    key = blobs.new_key(f".{media_format}")
    try:
        blob = blobs.write(key, itertools.chain((head,), stream), max_size=max_upload)
    except BlobTooLarge:
        raise PayloadTooLarge(f"The media is larger than the {max_upload} byte upload limit") from None
    if info is None:
        try:
            info = _probed(typing.cast(BinaryIO, BlobReader(blobs, key, blob.size)))
        except BaseException:
            blobs.delete(key)
            raise
    return StoredMedia(blob, info)


def _head_of(stream: Iterator[Chunk]) -> bytes:
    head = bytearray()
    for piece in stream:
        head += piece
        if len(head) >= HEAD_BYTES:
            break
    return bytes(head)


def _probed(media: BinaryIO) -> AudioInfo:
    return _checked(probe_stream, media)


def _checked(probe: Callable[[_Probed], _Found], media: _Probed) -> _Found:
    try:
        return probe(media)
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


def record_ingested(
    store: MetadataStore,
    blobs: BlobStore,
    media: StoredMedia,
    *,
    account_id: str,
    call_id: str,
    metadata: str | bytes | None,
    media_keys: MediaKeyDirectory | None = None,
) -> Recording:
    """Commit the row that names stored media (one transaction), from the upload's ``metadata`` part;
    the media is deleted when the recording is not recorded (bad metadata, a recording id in use)."""
    try:
        require_call_id(call_id)
        recording = _recording(account_id, call_id, parse_metadata(metadata), media.info, utcnow())
        stored = dataclasses.replace(
            recording, media_key=media.blob.key, media_size=media.blob.size, media_sha256=media.blob.sha256
        )
        with store.write() as conn:
            inserted = recordings_repo.insert_recording(conn, stored)
            seal_if_customer_held(conn, media_keys, account_id, inserted.recording_id, media.blob.key)
            return inserted
    except DuplicateRecording:
        blobs.delete(media.blob.key)
        raise Conflict(f"Recording {recording.recording_id} already exists") from None
    except BaseException:
        blobs.delete(media.blob.key)
        raise
