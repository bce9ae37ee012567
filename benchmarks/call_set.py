"""Realistic two-party calls for the transcription benchmark, from real recorded telephone speech.

Each call is 8 kHz stereo, one party per channel, built from Debian's Asterisk prompts
(`asterisk-core-sounds-{en,es,fr}-wav`, human voice talent, with their transcripts): the parties take
turns, so each channel is silent while the other speaks, with gaps of 0.3-1.5 s between turns, a
longer think-pause now and then, a stretch of hold music on the caller's channel while the agent is
away, and faint line noise on both channels throughout (as a real trunk has; pure digital silence
would flatter voice-activity detection). The prompts are chosen and ordered by a fixed seed, so the
same command builds the same calls. Each channel's reference transcript is its prompts' texts in order.

    from call_set import build_call
    call = build_call(Path("en.wav"), "en", minutes=5)
"""

from __future__ import annotations

import gzip
import random
import re
import unicodedata
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 8000
SOUNDS = Path("/usr/share/asterisk/sounds")
TRANSCRIPTS = Path("/usr/share/doc")
LANGUAGES = ("en", "es", "fr")
DEBIAN_PACKAGES = tuple(
    package
    for language in LANGUAGES
    for package in (f"asterisk-core-sounds-{language}-wav", f"asterisk-core-sounds-{language}")
)
HOLD_MUSIC_SECONDS = 20.0
NOISE_RMS = 12.0  # about -68 dBFS: faint line hiss
MIN_WORDS = 4


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str
    samples: np.ndarray  # int16 mono at RATE


@dataclass(frozen=True)
class Call:
    path: Path
    language: str
    seconds: float
    references: tuple[str, str]  # channel 1 (caller), channel 2 (agent)
    speech_seconds: tuple[float, float]


def missing() -> str | None:
    """Why the call set cannot be built here (a Debian package is missing), or None."""
    for language in LANGUAGES:
        if not _transcript_file(language).exists() or not (SOUNDS / language).is_dir():
            return (
                f"Asterisk prompts for {language!r} are not installed "
                f"(Debian asterisk-core-sounds-{language}-wav and asterisk-core-sounds-{language})"
            )
    return None


def _transcript_file(language: str) -> Path:
    return TRANSCRIPTS / f"asterisk-core-sounds-{language}" / f"core-sounds-{language}.txt.gz"


def prompts(language: str) -> list[Prompt]:
    """Spoken prompts of at least MIN_WORDS words (no tones, no bracketed descriptions), by name."""
    found = []
    with gzip.open(_transcript_file(language), "rt", encoding="utf-8", errors="replace") as lines:
        for line in lines:
            name, sep, text = line.partition(":")
            name, text = name.strip(), text.strip()
            if not sep or line.startswith(";") or "/" in name or "[" in text or len(text.split()) < MIN_WORDS:
                continue
            path = SOUNDS / language / f"{name}.wav"
            if path.exists():
                samples = _trimmed(_read(path))
                if len(samples) > RATE // 2:
                    found.append(Prompt(name, text, samples))
    return sorted(found, key=lambda prompt: prompt.name)


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as wav:
        if (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) != (RATE, 2, 1):
            raise ValueError(f"{path} is not 8 kHz 16-bit mono")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


def _trimmed(samples: np.ndarray, threshold: int = 200) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
    return samples[loud[0] : loud[-1] + 1] if loud.size else samples[:0]


def hold_music(seconds: float, seed: int) -> np.ndarray:
    """A simple melody of soft chords with a little noise, band-limited like a phone line."""
    rng = random.Random(seed)
    notes = [220.0, 246.9, 261.6, 293.7, 329.6, 349.2, 392.0, 440.0]
    pieces = []
    for _ in range(int(seconds / 0.5)):
        t = np.arange(int(RATE * 0.5)) / RATE
        root = rng.choice(notes)
        chord = sum(np.sin(2 * np.pi * root * ratio * t) for ratio in (1.0, 1.25, 1.5))
        envelope = np.minimum(1.0, np.minimum(t, t[::-1]) * 20)
        pieces.append(chord * envelope * 1800)
    return np.concatenate(pieces).astype(np.int16)


def build_call(path: Path, language: str, minutes: float, seed: int = 7) -> Call:
    """Write a call of about `minutes` to `path` (streamed turn by turn) and return its references."""
    rng = random.Random(f"{language}-{seed}")
    pool = prompts(language)
    rng.shuffle(pool)
    parties: tuple[list[Prompt], list[Prompt]] = (pool[0::2], pool[1::2])
    target = int(minutes * 60 * RATE)
    hold_at = target // 3
    references: tuple[list[str], list[str]] = ([], [])
    speech = [0, 0]
    noise = np.random.default_rng(seed)
    written, turn, held = 0, 0, False
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)

        def write(block: np.ndarray) -> None:
            nonlocal written
            hiss = noise.normal(0.0, NOISE_RMS, block.shape)
            mixed = np.clip(block.astype(np.float64) + hiss, -32768, 32767).astype("<i2")
            out.writeframes(mixed.tobytes())
            written += len(block)

        while written < target:
            if not held and written >= hold_at:  # the agent puts the caller on hold
                music = hold_music(HOLD_MUSIC_SECONDS, seed)
                block = np.zeros((len(music), 2), dtype=np.int16)
                block[:, 0] = music
                write(block)
                held = True
                continue
            channel = 1 if turn % 2 == 0 else 0  # the agent (channel 2) opens
            prompt = parties[channel][(turn // 2) % len(parties[channel])]
            gap = rng.uniform(2.5, 4.0) if rng.random() < 0.1 else rng.uniform(0.3, 1.5)
            block = np.zeros((len(prompt.samples) + int(gap * RATE), 2), dtype=np.int16)
            block[: len(prompt.samples), channel] = prompt.samples
            write(block)
            references[channel].append(prompt.text)
            speech[channel] += len(prompt.samples)
            turn += 1
    return Call(
        path=path,
        language=language,
        seconds=written / RATE,
        references=(" ".join(references[0]), " ".join(references[1])),
        speech_seconds=(speech[0] / RATE, speech[1] / RATE),
    )


def plain_words(text: str) -> str:
    """Accents dropped (the Spanish transcripts are written without them), for a fair word error rate."""
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[\u0300-\u036f]", "", decomposed)
