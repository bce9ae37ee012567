"""The faster-whisper engine: CTranslate2 Whisper, int8 on CPU, one transcript per channel.

Its defaults come from the cost table in docs/transcription.md (`make bench`: RTF x WER x memory on
two-party telephone calls in English, Spanish and French): faster-whisper's batched pipeline (speech
pieces packed into windows of up to 30 s, decoded 4 at a time, greedily), and the model run by several
single-threaded workers with the channels of a call transcribed at once (on 2 cores: 2 workers of 1
thread each), which uses the CPU better than one worker with several threads. A clip is then one such
window. `batch_size=0` is the sequential decoder (30 s windows over the speech, segments of a few
seconds) with `vad_options` tuned for telephone turns.

Voice-activity detection runs once per channel (``_speech_spans``): its spans give the language
detection its first 30 s of speech and the decoder its speech, silences removed (``speech.py``). The
model's workers share a recording's work: the channels' detection and language evidence, then the
batches of windows of every channel, longest first, so the channels run at once and neither waits
for the other.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from faster_whisper import BatchedInferencePipeline, WhisperModel
from faster_whisper.transcribe import Segment, restore_speech_timestamps
from faster_whisper.vad import VadOptions, get_speech_timestamps

from callvault.domain.limits import MAX_TRANSCRIBABLE_SECONDS

from ..media.decode import SPEECH_SAMPLE_RATE, AudioChunk, AudioDecodeError, iter_channel_chunks, probe_audio
from .confidence import segment_confidence, weighted_confidence
from .errors import AudioTooLong, TranscriptionError, TranscriptionFailed, TranscriptionTimeout
from .language import (
    DEFAULT_LANGUAGE,
    LanguageEvidence,
    channel_language,
    dominant_language,
)
from .limits import check_duration
from .model_store import assemble_default_model, check_model_dir
from .output import ChannelTranscript, Clip, TranscriptionOutput, Word
from .speech import WINDOW_SECONDS, ChannelSpeech, SpeechSpans, SpeechWindow

__all__ = ["WhisperEngine"]

logger = logging.getLogger(__name__)

DEFAULT_BEAM_SIZE = 1
TIMED_WORDS_BEAM_SIZE = 5
"""The least beam width of a transcription asked for its timed words, which is to say one that is
redacted: greedy decoding writes a long spoken number as one token and can drop a digit of it
("4539148803436467" read digit by digit came out as "453914880343667"), and a card number that lost
a digit fails the Luhn check and stays in the transcript; beam search kept every digit. It costs about
a third more, and only for accounts that redact."""
DEFAULT_BATCH_SIZE = 4
"""Speech pieces decoded together by faster-whisper's batched pipeline (0: one 30 s window at a time)."""
DEFAULT_CHUNK_SECONDS = 600.0
MAX_DEFAULT_THREADS = 8
MAX_DEFAULT_WORKERS = 4
TELEPHONE_VAD = VadOptions(min_silence_duration_ms=500, speech_pad_ms=200)
"""The sequential decoder's: speech is split at silences of 0.5 s (a turn of the other party is
silence on this channel)."""
BATCHED_VAD = VadOptions(max_speech_duration_s=WINDOW_SECONDS, min_silence_duration_ms=160)
"""The batched pipeline's (faster-whisper's own default for it): no speech piece longer than a window."""

FloatArray = npt.NDArray[np.float32]


@dataclass
class _ChannelResult:
    """Clips of one channel so far."""

    clips: list[Clip] = field(default_factory=list)

    def transcript(self) -> ChannelTranscript:
        text = " ".join(clip.text for clip in self.clips)
        confidence = weighted_confidence((clip.confidence, clip.end - clip.start) for clip in self.clips)
        return ChannelTranscript(text=text, confidence=round(confidence, 4))


class WhisperEngine:
    """Transcribes recordings with a CTranslate2 Whisper model loaded once, on first use.

    Safe to share between threads: the model has `workers` replicas, and each channel of each ~10-minute
    chunk takes one (waiting no later than its deadline), so the channels of a call run at once and
    concurrent recordings interleave.
    """

    def __init__(
        self,
        *,
        model_dir: Path | None,
        cache_dir: Path,
        cpu_threads: int = 0,
        workers: int = 0,
        beam_size: int = DEFAULT_BEAM_SIZE,
        chunk_seconds: float = DEFAULT_CHUNK_SECONDS,
        vad_options: VadOptions = TELEPHONE_VAD,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self._model_dir = model_dir
        self._cache_dir = cache_dir
        self._workers = _worker_count(workers)
        self._cpu_threads = _thread_count(cpu_threads, self._workers)
        self._beam_size = beam_size
        self._chunk_seconds = chunk_seconds
        self._vad_options = vad_options
        self._batch_size = batch_size
        self._model: WhisperModel | None = None
        self._load_lock = threading.Lock()
        self._model_slots = threading.Semaphore(self._workers)

    def load(self) -> None:
        """Load the model now (otherwise the first transcription does); assembles the default model."""
        self._loaded_model()

    def transcribe(
        self,
        audio_path: Path,
        *,
        detect_language: bool = False,
        deadline: float | None = None,
        word_timestamps: bool = False,
    ) -> TranscriptionOutput:
        """Transcribe every channel of ``audio_path``; ``deadline`` is a time.monotonic() value.

        Raises AudioTooShort, AudioTooLong, TranscriptionTimeout or TranscriptionFailed.
        """
        _check_deadline(deadline)
        started = time.monotonic()
        try:
            info = probe_audio(audio_path)
            check_duration(info.duration)
            model = self._loaded_model()
            output = self._transcribe_chunks(model, audio_path, detect_language, deadline, word_timestamps)
        except TranscriptionError:
            raise
        except AudioDecodeError as exc:
            raise TranscriptionFailed(str(exc)) from exc
        except Exception as exc:
            raise TranscriptionFailed(f"transcription of {audio_path} failed: {exc!r}") from exc
        logger.info(
            "transcribed %s (%.1f s, %d channels, %s) in %.1f s",
            audio_path.name,
            info.duration,
            info.channels,
            output.language,
            time.monotonic() - started,
        )
        return output

    def _transcribe_chunks(
        self,
        model: WhisperModel,
        audio_path: Path,
        detect_language: bool,
        deadline: float | None,
        word_timestamps: bool = False,
    ) -> TranscriptionOutput:
        language = None if detect_language else DEFAULT_LANGUAGE
        channels: list[_ChannelResult] = []
        for chunk in iter_channel_chunks(audio_path, chunk_seconds=self._chunk_seconds):
            _check_deadline(deadline)
            if chunk.start + chunk.duration >= MAX_TRANSCRIBABLE_SECONDS:
                raise AudioTooLong(
                    f"{audio_path.name} decodes to more than {MAX_TRANSCRIBABLE_SECONDS:.0f} s"
                )
            while len(channels) < len(chunk.channels):
                channels.append(_ChannelResult())
            with ThreadPoolExecutor(self._workers) as pool:
                spans = list(pool.map(lambda samples: self._speech_spans(samples, deadline), chunk.channels))
                if language is None:
                    language = self._detect_language(pool, model, chunk, spans, deadline)
                windowed = bool(self._batch_size)
                speech = [
                    ChannelSpeech.of(samples, channel_spans, windowed=windowed)
                    for samples, channel_spans in zip(chunk.channels, spans, strict=True)
                ]
                found = self._decode(pool, model, speech, chunk, language, deadline, word_timestamps)
                for channel, channel_clips in zip(channels, found, strict=False):
                    channel.clips.extend(channel_clips)
            del chunk, spans, speech, found  # free this chunk before the decoder builds the next one
        clips = sorted(
            (clip for channel in channels for clip in channel.clips), key=lambda c: (c.start, c.speaker)
        )
        return TranscriptionOutput(
            transcripts=[channel.transcript() for channel in channels],
            clips=clips,
            language=language or DEFAULT_LANGUAGE,
        )

    def _speech_spans(self, samples: FloatArray, deadline: float | None) -> SpeechSpans:
        """Where the channel speaks (voice-activity detection, on one of the model's workers)."""
        with _holding(self._model_slots, deadline):
            return get_speech_timestamps(samples, BATCHED_VAD if self._batch_size else self._vad_options)

    def _detect_language(
        self,
        pool: ThreadPoolExecutor,
        model: WhisperModel,
        chunk: AudioChunk,
        spans: list[SpeechSpans],
        deadline: float | None,
    ) -> str | None:
        if not model.model.is_multilingual:
            return DEFAULT_LANGUAGE

        def evidence(samples: FloatArray, channel_spans: SpeechSpans) -> LanguageEvidence | None:
            with _holding(self._model_slots, deadline):
                return channel_language(model, samples, channel_spans)

        language = dominant_language(pool.map(evidence, chunk.channels, spans))
        logger.debug("language at %.0f s: %s", chunk.start, language)
        return language

    def _decode(
        self,
        pool: ThreadPoolExecutor,
        model: WhisperModel,
        speech: list[ChannelSpeech],
        chunk: AudioChunk,
        language: str | None,
        deadline: float | None,
        word_timestamps: bool,
    ) -> list[list[Clip]]:
        """Each channel's clips, in time; its batches of windows shared among the workers, longest
        first."""
        work = [
            (index, batch)
            for index, channel in enumerate(speech)
            for batch in channel.batches(self._batch_size)
        ]
        futures: dict[int, Future[list[Clip]]] = {}
        for item in sorted(range(len(work)), key=lambda item: -_speech_seconds(work[item][1])):
            index, batch = work[item]
            futures[item] = pool.submit(
                self._transcribe_batch,
                model,
                speech[index],
                batch,
                index,
                chunk.start,
                chunk.start + chunk.duration,
                language,
                deadline,
                word_timestamps,
            )
        clips: list[list[Clip]] = [[] for _ in speech]
        for item, (index, _batch) in enumerate(work):
            clips[index].extend(futures[item].result())
        return clips

    def _transcribe_batch(
        self,
        model: WhisperModel,
        channel: ChannelSpeech,
        windows: tuple[SpeechWindow, ...],
        speaker: int,
        offset: float,
        end_of_chunk: float,
        language: str | None,
        deadline: float | None,
        word_timestamps: bool = False,
    ) -> list[Clip]:
        """The clips of some of a channel's windows (the sequential decoder: all of them)."""
        clips: list[Clip] = []
        with _holding(self._model_slots, deadline):
            for segment in restore_speech_timestamps(
                self._decoded(model, channel.speech, windows, language or DEFAULT_LANGUAGE, word_timestamps),
                list(channel.spans),
                SPEECH_SAMPLE_RATE,
            ):
                _check_deadline(deadline)
                text = segment.text.strip()
                if not text:
                    continue
                start = min(offset + segment.start, end_of_chunk)
                end = min(max(offset + segment.end, start), end_of_chunk)
                clips.append(
                    Clip(
                        speaker=speaker,
                        start=round(start, 3),
                        end=round(end, 3),
                        text=text,
                        confidence=round(segment_confidence(segment.avg_logprob), 4),
                        words=tuple(
                            Word(
                                word.word,
                                round(float(offset + word.start), 3),
                                round(float(offset + word.end), 3),
                            )
                            for word in segment.words or ()
                        ),
                    )
                )
        return clips

    def _decoded(
        self,
        model: WhisperModel,
        speech: FloatArray,
        windows: tuple[SpeechWindow, ...],
        language: str,
        word_timestamps: bool,
    ) -> Iterable[Segment]:
        """The segments of `windows` of `speech`, timed on the speech."""
        beam_size = max(self._beam_size, TIMED_WORDS_BEAM_SIZE) if word_timestamps else self._beam_size
        if self._batch_size:
            segments, _info = BatchedInferencePipeline(model).transcribe(
                speech,
                language=language,
                beam_size=beam_size,
                batch_size=self._batch_size,
                clip_timestamps=list(windows),
                word_timestamps=word_timestamps,
            )
        else:
            segments, _info = model.transcribe(
                speech,
                language=language,
                beam_size=beam_size,
                condition_on_previous_text=False,
                word_timestamps=word_timestamps,
            )
        return segments

    def _loaded_model(self) -> WhisperModel:
        with self._load_lock:
            if self._model is None:
                self._model = self._load_model()
            return self._model

    def _load_model(self) -> WhisperModel:
        if self._model_dir is not None:
            folder = check_model_dir(self._model_dir)
        else:
            folder = assemble_default_model(self._cache_dir)
        started = time.monotonic()
        try:
            model = WhisperModel(
                str(folder),
                device="cpu",
                compute_type="int8",
                cpu_threads=self._cpu_threads,
                num_workers=self._workers,
            )
        except Exception as exc:
            raise TranscriptionFailed(f"cannot load the whisper model in {folder}: {exc}") from exc
        logger.info("loaded whisper model %s in %.1f s", folder, time.monotonic() - started)
        return model


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0))


def _worker_count(requested: int) -> int:
    """``requested``, else one per usable core (at most MAX_DEFAULT_WORKERS)."""
    return requested if requested > 0 else max(1, min(MAX_DEFAULT_WORKERS, _usable_cores()))


def _thread_count(requested: int, workers: int) -> int:
    """Threads per worker: ``requested``, else OMP_NUM_THREADS (0 lets CTranslate2 read it), else the
    usable cores shared out among the workers (at most MAX_DEFAULT_THREADS in all)."""
    if requested > 0 or os.environ.get("OMP_NUM_THREADS"):
        return requested
    return max(1, min(MAX_DEFAULT_THREADS, _usable_cores()) // workers)


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise TranscriptionTimeout("transcription exceeded its time budget")


@contextmanager
def _holding(slots: threading.Semaphore, deadline: float | None) -> Iterator[None]:
    """Hold one of ``slots``, waiting no later than ``deadline``."""
    timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
    if not slots.acquire(timeout=timeout):
        raise TranscriptionTimeout("transcription exceeded its time budget waiting for the model")
    try:
        yield
    finally:
        slots.release()


def _speech_seconds(windows: tuple[SpeechWindow, ...]) -> float:
    return sum(window["end"] - window["start"] for window in windows)
