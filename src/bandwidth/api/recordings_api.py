"""RecordingsApi: the ten operations of the Recordings API document, each in three forms
(``x``, ``x_with_http_info``, ``x_without_preload_content``) with the official SDK's parameters,
plus `download_call_recording_to_file` that streams the media to disk.

The operations live in one mixin per concern, all on `RecordingsApiBase` (the shared request
plumbing, `_recordings_base`): one recording's metadata (`_recordings_metadata`), lists of recordings
(`_recordings_lists`), media (`_recordings_media`), transcriptions (`_recordings_transcription`) and a
live call's recording state (`_recordings_state`)."""

from __future__ import annotations

# `X as X`: the parameter types and DEFAULT_DOWNLOAD_CHUNK_SIZE, module-level names of this module
# before the split, stay importable from here.
from bandwidth.api._recordings_base import AccountIdParam as AccountIdParam
from bandwidth.api._recordings_base import CallIdParam as CallIdParam
from bandwidth.api._recordings_base import ContentType as ContentType
from bandwidth.api._recordings_base import HostIndex as HostIndex
from bandwidth.api._recordings_base import PositiveSeconds as PositiveSeconds
from bandwidth.api._recordings_base import RecordingIdParam as RecordingIdParam
from bandwidth.api._recordings_base import RequestAuth as RequestAuth
from bandwidth.api._recordings_base import RequestHeaders as RequestHeaders
from bandwidth.api._recordings_base import RequestTimeout as RequestTimeout
from bandwidth.api._recordings_lists import FromFilter as FromFilter
from bandwidth.api._recordings_lists import MaxStartTimeFilter as MaxStartTimeFilter
from bandwidth.api._recordings_lists import MinStartTimeFilter as MinStartTimeFilter
from bandwidth.api._recordings_lists import RecordingListsMixin
from bandwidth.api._recordings_lists import ToFilter as ToFilter
from bandwidth.api._recordings_media import DEFAULT_DOWNLOAD_CHUNK_SIZE as DEFAULT_DOWNLOAD_CHUNK_SIZE
from bandwidth.api._recordings_media import RecordingMediaMixin
from bandwidth.api._recordings_metadata import RecordingMetadataMixin
from bandwidth.api._recordings_state import CallRecordingStateMixin
from bandwidth.api._recordings_transcription import RecordingTranscriptionMixin

__all__ = ["RecordingsApi"]


class RecordingsApi(
    RecordingMetadataMixin,
    RecordingListsMixin,
    RecordingMediaMixin,
    RecordingTranscriptionMixin,
    CallRecordingStateMixin,
):
    """Recordings of calls: metadata, media, transcriptions, pause/resume."""
