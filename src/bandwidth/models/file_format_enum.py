"""FileFormatEnum."""

from __future__ import annotations

from bandwidth.models._wire import WireEnum


class FileFormatEnum(WireEnum):
    """The format that the recording is stored in."""

    MP3 = "mp3"
    WAV = "wav"
