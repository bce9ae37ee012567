"""Offline speech-to-text: recordings in, one transcript per channel plus time-stamped clips out.

``load_engine(model_dir=None, cache_dir=...)`` gives an :class:`Engine` backed by faster-whisper
(CTranslate2, int8 on CPU) with the bundled Whisper base model.
"""

from __future__ import annotations

from .engine import Engine, load_engine
from .errors import (
    AudioTooLong,
    AudioTooShort,
    ModelIntegrityError,
    ModelNotFound,
    TranscriptionError,
    TranscriptionFailed,
    TranscriptionTimeout,
)
from .language import SUPPORTED_LANGUAGES
from .output import ChannelTranscript, Clip, TranscriptionOutput
from .whisper import WhisperEngine

__all__ = [
    "SUPPORTED_LANGUAGES",
    "AudioTooLong",
    "AudioTooShort",
    "ChannelTranscript",
    "Clip",
    "Engine",
    "ModelIntegrityError",
    "ModelNotFound",
    "TranscriptionError",
    "TranscriptionFailed",
    "TranscriptionOutput",
    "TranscriptionTimeout",
    "WhisperEngine",
    "load_engine",
]
