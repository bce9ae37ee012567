"""Calls in which card numbers, SSNs and other numbers are spoken: Asterisk's recorded digit prompts
(`digits/*.wav`, asterisk-core-sounds-en-wav) joined into sentences ("number is four one one one …
thank you"), one 8 kHz mono WAV per call, with where each number is spoken."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from callvault.media.audio import WavWriter
from support.asterisk_sounds import RATE, prompt_samples

DIGIT_GAP = 0.08
GROUP_GAP = 0.35
BETWEEN_ITEMS = 1.5


@dataclass(frozen=True)
class SpokenNumber:
    digits: str
    kind: str  # card, ssn (to be redacted), phone, not-luhn (to be kept)
    start: float = 0.0
    end: float = 0.0

    @property
    def sensitive(self) -> bool:
        return self.kind in ("card", "ssn")


def luhn_complete(prefix: str) -> str:
    """`prefix` plus the check digit that makes it pass Luhn."""
    for check in "0123456789":
        digits = prefix + check
        total = 0
        for position, char in enumerate(reversed(digits)):
            value = int(char) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits
    raise AssertionError(prefix)


def sample_numbers(count: int, seed: int = 7) -> list[SpokenNumber]:
    """A mix: cards (16 and 15 digits), SSNs, 10-digit phone numbers and 16-digit non-cards."""
    rng = random.Random(seed)
    numbers: list[SpokenNumber] = []
    kinds = ["card", "ssn", "phone", "card", "not-luhn", "ssn", "card15"]
    for i in range(count):
        kind = kinds[i % len(kinds)]
        if kind == "card":
            digits = luhn_complete("4" + "".join(rng.choice("0123456789") for _ in range(14)))
        elif kind == "card15":
            kind, digits = "card", luhn_complete("37" + "".join(rng.choice("0123456789") for _ in range(12)))
        elif kind == "ssn":
            digits = f"{rng.randint(100, 665)}{rng.randint(10, 99)}{rng.randint(1000, 9999)}"
        elif kind == "phone":
            digits = f"{rng.randint(201, 989)}555{rng.randint(1000, 9999)}"
        else:
            valid = luhn_complete("5" + "".join(rng.choice("0123456789") for _ in range(14)))
            digits = valid[:-1] + str((int(valid[-1]) + 1) % 10)
        numbers.append(SpokenNumber(digits, kind))
    return numbers


def _trimmed(prompt: str) -> np.ndarray:
    """A prompt without the silence Asterisk records before and after it."""
    samples = prompt_samples(prompt)
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 400)
    return samples[loud[0] : loud[-1] + 1] if loud.size else samples


def _groups(number: SpokenNumber) -> list[str]:
    digits = number.digits
    if number.kind == "ssn":
        return [digits[:3], digits[3:5], digits[5:]]
    if number.kind == "phone":
        return [digits[:3], digits[3:6], digits[6:]]
    return [digits[i : i + 4] for i in range(0, len(digits), 4)]


def write_spoken_call(path: Path, numbers: list[SpokenNumber]) -> list[SpokenNumber]:
    """One call saying "number is <digits> thank you" for each number; the numbers with their times."""
    pieces: list[np.ndarray] = []
    placed: list[SpokenNumber] = []
    position = 0

    def add(samples: np.ndarray, gap: float) -> None:
        nonlocal position
        pieces.append(samples)
        pieces.append(np.zeros(round(gap * RATE), dtype=np.int16))
        position += len(samples) + round(gap * RATE)

    add(np.zeros(RATE // 2, dtype=np.int16), 0.0)
    for number in numbers:
        add(_trimmed("number"), 0.1)
        add(_trimmed("is"), 0.25)
        start = position / RATE
        for group in _groups(number):
            for i, digit in enumerate(group):
                add(_trimmed(f"digits/{digit}"), GROUP_GAP if i == len(group) - 1 else DIGIT_GAP)
        placed.append(SpokenNumber(number.digits, number.kind, start, position / RATE - GROUP_GAP))
        add(_trimmed("auth-thankyou"), BETWEEN_ITEMS)
    with path.open("wb") as f:
        writer = WavWriter(f, RATE, 1)
        writer.write(np.concatenate(pieces).reshape(-1, 1))
        writer.close()
    return placed


def spoken_digits(text: str) -> str:
    """Every digit a transcript holds, written or as number words, in order (for leak checks)."""
    from callvault.domain.redaction import TimedWord, word_tokens

    words = [TimedWord(word, 0.0, 0.0) for word in text.split()]
    return "".join(token.digits or "" for token in word_tokens(words))
