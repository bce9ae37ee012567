"""Why a transcription did not produce a transcript; ``status`` is the transcription status to record."""

from __future__ import annotations

__all__ = [
    "AudioTooLong",
    "AudioTooShort",
    "ModelIntegrityError",
    "ModelNotFound",
    "TranscriptionError",
    "TranscriptionFailed",
    "TranscriptionTimeout",
]


class TranscriptionError(Exception):
    """Base class: every transcription failure carries the status string the API reports."""

    status: str = "error"


class AudioTooShort(TranscriptionError):
    status = "file-size-too-small"


class AudioTooLong(TranscriptionError):
    status = "file-size-too-big"


class TranscriptionTimeout(TranscriptionError):
    status = "timeout"


class TranscriptionFailed(TranscriptionError):
    """The engine could not transcribe: undecodable audio, a model that does not load or crashes."""

    status = "error"


class ModelNotFound(TranscriptionFailed):
    """A model folder lacks the files a CTranslate2 Whisper model needs."""


class ModelIntegrityError(TranscriptionFailed):
    """The assembled default model does not match its published sha256."""
