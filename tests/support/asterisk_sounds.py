"""Real telephone speech: Debian's asterisk-core-sounds-en-wav prompts (8 kHz mono) and their
transcripts from asterisk-core-sounds-en (core-sounds-en.txt.gz)."""

from __future__ import annotations

import gzip
import wave
from pathlib import Path

import numpy as np

from callvault.media.audio import WavWriter
from support.debian import ensure_packages

SOUNDS = Path("/usr/share/asterisk/sounds/en")
TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
RATE = 8000


def ensure_sounds() -> str | None:
    return ensure_packages(
        ["asterisk-core-sounds-en-wav", "asterisk-core-sounds-en"], [SOUNDS / "tt-weasels.wav", TRANSCRIPTS]
    )


def transcript(prompt: str) -> str:
    with gzip.open(TRANSCRIPTS, "rt", encoding="utf-8", errors="replace") as lines:
        for line in lines:
            name, sep, text = line.partition(":")
            if sep and name.strip() == prompt:
                return text.strip()
    raise KeyError(prompt)


def prompt_samples(prompt: str) -> np.ndarray:
    with wave.open(str(SOUNDS / f"{prompt}.wav")) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (RATE, 2, 1)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def write_call(path: Path, caller: list[tuple[float, str]], agent: list[tuple[float, str]]) -> Path:
    """A two-channel 8 kHz call: each prompt placed at its second on channel 1 (caller) or 2 (agent)."""
    placed = [(at, name, 0) for at, name in caller] + [(at, name, 1) for at, name in agent]
    length = max(round(at * RATE) + len(prompt_samples(name)) for at, name, _ in placed) + RATE
    frames = np.zeros((length, 2), dtype=np.int16)
    for at, name, channel in placed:
        audio = prompt_samples(name)
        start = round(at * RATE)
        frames[start : start + len(audio), channel] = audio
    with path.open("wb") as f:
        writer = WavWriter(f, RATE, 2)
        writer.write(frames)
        writer.close()
    return path
