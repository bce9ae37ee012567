"""The Engine protocol the transcription jobs call, and the factory that builds the default engine."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .output import TranscriptionOutput
from .whisper import DEFAULT_BATCH_SIZE, DEFAULT_BEAM_SIZE, WhisperEngine

__all__ = ["Engine", "load_engine"]


class Engine(Protocol):
    def transcribe(
        self,
        audio_path: Path,
        *,
        detect_language: bool = False,
        deadline: float | None = None,
        word_timestamps: bool = False,
    ) -> TranscriptionOutput:
        """Transcribe every channel of a WAV/MP3 recording.

        ``detect_language``: pick the dominant of English, French and Spanish, else English.
        ``deadline``: a time.monotonic() value after which TranscriptionTimeout is raised.
        ``word_timestamps``: give each clip its timed words (what redaction needs), decoded with a
        beam wide enough to keep every digit of a spoken number (``whisper.TIMED_WORDS_BEAM_SIZE``).
        Raises AudioTooShort, AudioTooLong, TranscriptionTimeout or TranscriptionFailed, each with the
        ``status`` to record.
        """
        ...


def load_engine(
    *,
    model_dir: Path | None,
    cache_dir: Path,
    cpu_threads: int = 0,
    workers: int = 0,
    beam_size: int = DEFAULT_BEAM_SIZE,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Engine:
    """A thread-safe Whisper engine; the model loads on first use.

    ``model_dir``: a CTranslate2 Whisper folder (CALLVAULT_WHISPER_MODEL); None for the bundled Whisper
    base, assembled once under ``cache_dir`` and checked against its sha256.
    ``workers``: channels transcribed at once (0: one per usable core, at most 4).
    ``cpu_threads``: threads per worker (0: OMP_NUM_THREADS, or the usable cores shared out).
    ``batch_size``: speech pieces decoded at once (0: the sequential decoder).
    """
    return WhisperEngine(
        model_dir=model_dir,
        cache_dir=cache_dir,
        cpu_threads=cpu_threads,
        workers=workers,
        beam_size=beam_size,
        batch_size=batch_size,
    )
