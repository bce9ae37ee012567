"""Spoken-language identification restricted to the languages callvault transcribes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim

from .speech import SpeechSpans

__all__ = [
    "DEFAULT_LANGUAGE",
    "SUPPORTED_LANGUAGES",
    "LanguageEvidence",
    "channel_language",
    "dominant_language",
    "first_speech",
    "language_scores",
]

SUPPORTED_LANGUAGES = ("en", "fr", "es")
DEFAULT_LANGUAGE = "en"
DETECTION_SPEECH_SECONDS = 30.0
MIN_DETECTION_SPEECH_SECONDS = 0.5
SAMPLE_RATE = 16_000

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LanguageEvidence:
    """What one channel says about the call's language: each language's probability, and how much
    speech (in samples) they were taken from."""

    speech_samples: int
    scores: dict[str, float]


def channel_language(model: WhisperModel, audio: FloatArray, spans: SpeechSpans) -> LanguageEvidence | None:
    """The language probabilities of the first ~30 s of one channel's speech; None when it has too
    little speech to tell."""
    speech = first_speech(audio, spans)
    if speech.shape[0] < MIN_DETECTION_SPEECH_SECONDS * SAMPLE_RATE:
        return None
    return LanguageEvidence(speech.shape[0], language_scores(model, speech))


def dominant_language(evidence: Iterable[LanguageEvidence | None]) -> str | None:
    """The most probable of English, French and Spanish over every channel, each channel weighted by
    its amount of speech; None when no channel has enough speech."""
    totals = dict.fromkeys(SUPPORTED_LANGUAGES, 0.0)
    for channel in evidence:
        if channel is None:
            continue
        for language, probability in channel.scores.items():
            totals[language] += probability * channel.speech_samples
    if not any(totals.values()):
        return None
    return max(totals, key=lambda language: totals[language])


def first_speech(audio: FloatArray, spans: SpeechSpans) -> FloatArray:
    """Up to DETECTION_SPEECH_SECONDS of voiced audio from the start of ``audio``, silences removed."""
    wanted = int(DETECTION_SPEECH_SECONDS * SAMPLE_RATE)
    pieces: list[FloatArray] = []
    collected = 0
    for span in spans:
        piece = audio[span["start"] : min(span["end"], span["start"] + wanted - collected)]
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
