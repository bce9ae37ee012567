"""Waveform peaks of a recording: computed once from its media (streamed) and cached in the database."""

from __future__ import annotations

from callvault.domain.errors import NotFound, VoiceApiError
from callvault.domain.waveform import WaveformPeaks
from callvault.media.blobstore import BlobStore
from callvault.media.peaks import PeaksDecodeError, compute_peaks
from callvault.services.media_keys import media_errors
from callvault.services.recordings import require_recording
from callvault.store import peaks_repo
from callvault.store.database import MetadataStore


class MediaUndecodable(VoiceApiError):
    status = 422
    type = "validation"


def get_peaks(
    store: MetadataStore, blobs: BlobStore, account_id: str, call_id: str, recording_id: str
) -> WaveformPeaks:
    with store.read() as conn:
        recording = require_recording(conn, account_id, call_id, recording_id)
        cached = peaks_repo.get_peaks(conn, account_id, recording_id)
    if cached is not None:
        return cached
    if recording.media_key is None:
        raise NotFound(f"Recording {recording_id} has no media: it was deleted")
    try:
        with media_errors(recording_id):
            peaks = compute_peaks(
                blobs.open(recording.media_key),
                duration_seconds=recording.duration_seconds,
                channels=recording.channels,
            )
    except PeaksDecodeError as exc:
        raise MediaUndecodable(f"The media of recording {recording_id} cannot be decoded: {exc}") from exc
    with store.write() as conn:
        if require_recording(conn, account_id, call_id, recording_id).media_key == recording.media_key:
            peaks_repo.put_peaks(conn, account_id, recording_id, peaks)
    return peaks
