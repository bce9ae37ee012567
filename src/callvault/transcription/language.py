"""Spoken-language identification restricted to the languages callvault transcribes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim
from faster_whisper.vad import VadOptions, get_speech_timestamps

__all__ = [
    "DEFAULT_LANGUAGE",
    "SUPPORTED_LANGUAGES",
    "detect_dominant_language",
    "first_speech",
    "language_scores",
]

SUPPORTED_LANGUAGES = ("en", "fr", "es")
DEFAULT_LANGUAGE = "en"
DETECTION_SPEECH_SECONDS = 30.0
MIN_DETECTION_SPEECH_SECONDS = 0.5
VAD_SCAN_SECONDS = 300.0
SAMPLE_RATE = 16_000

FloatArray = npt.NDArray[np.float32]


def detect_dominant_language(
    model: WhisperModel, channels: Sequence[FloatArray], vad_options: VadOptions
) -> str | None:
    """The most probable of English, French and Spanish over the first ~30 s of speech of every channel,
    each channel weighted by its amount of speech; None when no channel has enough speech."""
    if not model.model.is_multilingual:
        return DEFAULT_LANGUAGE
    totals = dict.fromkeys(SUPPORTED_LANGUAGES, 0.0)
    for audio in channels:
        speech = first_speech(audio, vad_options)
        if speech.shape[0] < MIN_DETECTION_SPEECH_SECONDS * SAMPLE_RATE:
            continue
        for language, probability in language_scores(model, speech).items():
            totals[language] += probability * speech.shape[0]
    if not any(totals.values()):
        return None
    return max(totals, key=lambda language: totals[language])


def first_speech(audio: FloatArray, vad_options: VadOptions) -> FloatArray:
    """Up to DETECTION_SPEECH_SECONDS of voiced audio from the start of ``audio``, silences removed."""
    scanned = audio[: int(VAD_SCAN_SECONDS * SAMPLE_RATE)]
    wanted = int(DETECTION_SPEECH_SECONDS * SAMPLE_RATE)
    pieces: list[FloatArray] = []
    collected = 0
    for span in get_speech_timestamps(scanned, vad_options):
        piece = scanned[span["start"] : min(span["end"], span["start"] + wanted - collected)]
        pieces.append(piece)
        collected += piece.shape[0]
        if collected >= wanted:
            break
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


def language_scores(model: WhisperModel, speech: FloatArray) -> dict[str, float]:
    """Probability of each supported language for one 30 s window of ``speech`` (not renormalised)."""
    extractor = model.feature_extractor
    features = extractor(speech[: extractor.n_samples])
    encoder_output = model.encode(pad_or_trim(features[..., : extractor.nb_max_frames]))
    ranked = model.model.detect_language(encoder_output)[0]
    scores = {token.strip("<|>"): float(probability) for token, probability in ranked}
    return {language: scores.get(language, 0.0) for language in SUPPORTED_LANGUAGES}
