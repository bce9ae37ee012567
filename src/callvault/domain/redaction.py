"""PII redaction rules: an account's redaction policy, and finding card numbers, US SSNs and configured
patterns in timed transcript words, spoken or written ("four one one one", "oh", "double five",
"4111-1111", "forty one"). Pure: the engine's words in, the words to redact (and their times) out.

A card number is 13-19 digits that pass the Luhn check; an SSN is 9 digits in a run of exactly nine
(area not 000, 666 or 9xx; group not 00; serial not 0000). Digits count across neighbouring words,
so a number read in groups is found whole; fillers ("and", "dash") may sit between the groups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from callvault.domain.errors import ValidationFailed

REDACTED = "[REDACTED]"
MAX_PATTERNS = 20
MAX_PATTERN_CHARS = 200
AUDIO_PAD_SECONDS = 0.15
"""Audio redacted before and after each span: word timings are approximate."""

_UNITS = {
    "zero": "0", "oh": "0", "o": "0", "nil": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_TEENS = {
    "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
    "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
}  # fmt: skip
_TENS = {
    "twenty": "2", "thirty": "3", "forty": "4", "fourty": "4", "fifty": "5", "sixty": "6",
    "seventy": "7", "eighty": "8", "ninety": "9",
}  # fmt: skip
_SOUNDALIKES = {"for": "4", "to": "2", "too": "2", "won": "1", "ate": "8"}
"""Digits only between two other digits ("four for one" is 441; "for" alone is a word)."""
_REPEATS = {"double": 2, "triple": 3}
_FILLERS = {"and", "dash", "hyphen", "space", "-", ""}
_SPLIT = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class RedactionPolicy:
    """An account's choice: what to find, and what becomes of the audio."""

    enabled: bool = False
    cards: bool = True
    ssn: bool = True
    patterns: tuple[str, ...] = ()
    audio: Literal["silence", "tone"] = "silence"
    keep_original: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "cards": self.cards,
            "ssn": self.ssn,
            "patterns": list(self.patterns),
            "audio": self.audio,
            "keepOriginal": self.keep_original,
        }

    @classmethod
    def parse(cls, data: Any) -> RedactionPolicy:
        if not isinstance(data, dict):
            raise ValidationFailed("Invalid redaction policy: a JSON object")
        fields = {"enabled", "cards", "ssn", "patterns", "audio", "keepOriginal"}
        unknown = set(data) - fields
        if unknown:
            raise ValidationFailed(
                f"Invalid redaction policy: unknown field(s) {', '.join(sorted(unknown))[:128]}; "
                f"the fields are {', '.join(sorted(fields))}"
            )
        for name in ("enabled", "cards", "ssn", "keepOriginal"):
            if name in data and not isinstance(data[name], bool):
                raise ValidationFailed(f"Invalid redaction policy: {name} must be true or false")
        audio = data.get("audio", "silence")
        if audio not in ("silence", "tone"):
            raise ValidationFailed("Invalid redaction policy: audio must be 'silence' or 'tone'")
        return cls(
            enabled=data.get("enabled", False),
            cards=data.get("cards", True),
            ssn=data.get("ssn", True),
            patterns=check_patterns(data.get("patterns", [])),
            audio=audio,
            keep_original=data.get("keepOriginal", True),
        )


def check_patterns(patterns: Any) -> tuple[str, ...]:
    if not isinstance(patterns, list) or len(patterns) > MAX_PATTERNS:
        raise ValidationFailed(
            f"Invalid redaction patterns: a list of at most {MAX_PATTERNS} regular expressions"
        )
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern or len(pattern) > MAX_PATTERN_CHARS:
            raise ValidationFailed(f"Invalid redaction pattern: 1-{MAX_PATTERN_CHARS} characters each")
        try:
            if re.compile(pattern).fullmatch(""):
                raise ValidationFailed(
                    f"Invalid redaction pattern {pattern[:64]!r}: it matches nothing at all"
                )
        except re.error as exc:
            raise ValidationFailed(f"Invalid redaction pattern {pattern[:64]!r}: {exc}") from None
    return tuple(patterns)


@dataclass(frozen=True)
class TimedWord:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Token:
    """One word as digits: `digits` ("" for a filler, None for a word that is not a number)."""

    index: int
    digits: str | None


def word_tokens(words: list[TimedWord]) -> list[Token]:
    """Each word's digits, reading number words, digit strings, "double"/"triple" and tens+units."""
    tokens: list[Token] = []
    repeat = 1
    for index, word in enumerate(words):
        pieces = [piece for piece in _SPLIT.split(word.text.lower()) if piece]
        if not pieces:  # punctuation only
            tokens.append(Token(index, ""))
            continue
        digits: str | None = ""
        after_tens = False
        for piece in pieces:
            if piece in _REPEATS:
                repeat = _REPEATS[piece]
                continue
            read = _read(piece)
            if read is None or digits is None:
                digits = None
                break
            if after_tens and piece in _UNITS and read != "0":
                digits = digits[:-1] + read  # "forty-one"
            else:
                digits += read * repeat if len(read) == 1 else read
            after_tens = piece in _TENS
            repeat = 1
        if digits is None:
            repeat = 1
            digits = "" if len(pieces) == 1 and pieces[0] in _FILLERS else None
        tokens.append(Token(index, digits))
    return _resolve_neighbours(words, tokens)


def _read(piece: str) -> str | None:
    if piece.isdigit():
        return piece
    if piece in _UNITS:
        return _UNITS[piece]
    if piece in _TEENS:
        return _TEENS[piece]
    if piece in _TENS:
        return _TENS[piece] + "0"
    return None


def _bare(word: TimedWord) -> str:
    return word.text.strip().lower().strip(".,;:!?-")


def _resolve_neighbours(words: list[TimedWord], tokens: list[Token]) -> list[Token]:
    """Sound-alikes between two digits are digits; tens then a unit ("forty one") are one number."""
    resolved = list(tokens)
    for i, token in enumerate(tokens):
        between_digits = 0 < i < len(tokens) - 1 and tokens[i - 1].digits and tokens[i + 1].digits
        if token.digits is None and _bare(words[i]) in _SOUNDALIKES and between_digits:
            resolved[i] = Token(i, _SOUNDALIKES[_bare(words[i])])
    for i in range(1, len(resolved)):
        previous, current = resolved[i - 1], resolved[i]
        unit = _bare(words[i])
        if (
            _bare(words[i - 1]) in _TENS
            and previous.digits
            and previous.digits.endswith("0")
            and unit in _UNITS
            and _UNITS[unit] != "0"
        ):
            resolved[i - 1] = Token(previous.index, previous.digits[:-1])
            resolved[i] = Token(current.index, current.digits)
    return resolved


@dataclass(frozen=True)
class Finding:
    """Words `first`..`last` (inclusive) hold a `kind` (card, ssn, pattern)."""

    kind: str
    first: int
    last: int


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def ssn_valid(digits: str) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"


def _runs(tokens: list[Token]) -> list[list[Token]]:
    """Maximal sequences of number words, fillers allowed between them (not at either end)."""
    runs: list[list[Token]] = []
    current: list[Token] = []
    for token in tokens:
        if token.digits is None:
            if current:
                runs.append(current)
            current = []
        elif token.digits or current:
            current.append(token)
    if current:
        runs.append(current)
    return [_trim(run) for run in runs if any(token.digits for token in run)]


def _trim(run: list[Token]) -> list[Token]:
    while run and not run[-1].digits:
        run = run[:-1]
    return run


def find_numbers(tokens: list[Token], *, cards: bool, ssn: bool) -> list[Finding]:
    found: list[Finding] = []
    for run in _runs(tokens):
        numeric = [token for token in run if token.digits]
        digits = "".join(token.digits or "" for token in numeric)
        if ssn and len(digits) == 9 and ssn_valid(digits):
            found.append(Finding("ssn", numeric[0].index, numeric[-1].index))
            continue
        if cards:
            found.extend(_cards(numeric))
    return found


def _cards(numeric: list[Token]) -> list[Finding]:
    """A run of 13-19 digits is a card number when it passes Luhn as a whole; a longer run (numbers
    said back to back) is searched for such numbers, each starting and ending on a word boundary,
    longest first, left to right. (Searching a 16-digit run for 13-15-digit windows would find a
    Luhn-valid window in most runs of single-digit words: one in ten passes by chance.)"""
    total = sum(len(token.digits or "") for token in numeric)
    if total < 13:
        return []
    if total <= 19:
        digits = "".join(token.digits or "" for token in numeric)
        return [Finding("card", numeric[0].index, numeric[-1].index)] if luhn_valid(digits) else []
    found: list[Finding] = []
    start = 0
    while start < len(numeric):
        match = None
        length = 0
        for end in range(start, len(numeric)):
            length += len(numeric[end].digits or "")
            if length > 19:
                break
            if length >= 13 and luhn_valid("".join(t.digits or "" for t in numeric[start : end + 1])):
                match = end
        if match is None:
            start += 1
            continue
        found.append(Finding("card", numeric[start].index, numeric[match].index))
        start = match + 1
    return found


def find_patterns(words: list[TimedWord], tokens: list[Token], patterns: tuple[str, ...]) -> list[Finding]:
    """Configured patterns, matched against the words with spoken digits written as digits (a run of
    digits without spaces, so `\\d{8}` finds "one two three four five six seven eight")."""
    if not patterns:
        return []
    text, owners = _normalized_text(words, tokens)
    found: list[Finding] = []
    for pattern in patterns:
        for match in re.finditer(pattern, text):
            if match.end() > match.start():
                covered = {owners[i] for i in range(match.start(), match.end()) if owners[i] >= 0}
                if covered:
                    found.append(Finding("pattern", min(covered), max(covered)))
    return found


def _normalized_text(words: list[TimedWord], tokens: list[Token]) -> tuple[str, list[int]]:
    pieces: list[str] = []
    owners: list[int] = []
    previous_numeric = False
    for token in tokens:
        numeric = bool(token.digits)
        piece = token.digits if numeric else words[token.index].text.strip()
        if not piece:
            continue
        if pieces and not (numeric and previous_numeric):
            pieces.append(" ")
            owners.append(-1)
        pieces.append(piece)
        owners.extend([token.index] * len(piece))
        previous_numeric = numeric
    return "".join(pieces), owners


def find_pii(words: list[TimedWord], policy: RedactionPolicy) -> list[Finding]:
    tokens = word_tokens(words)
    return find_numbers(tokens, cards=policy.cards, ssn=policy.ssn) + find_patterns(
        words, tokens, policy.patterns
    )


def redacted_text(words: list[TimedWord], findings: list[Finding]) -> str:
    """The words joined as the engine wrote them, each run of redacted words one `[REDACTED]`."""
    hidden = {i for finding in findings for i in range(finding.first, finding.last + 1)}
    out: list[str] = []
    for i, word in enumerate(words):
        if i in hidden:
            if i - 1 not in hidden:
                out.append(" " + REDACTED)
            continue
        out.append(word.text if word.text.startswith(" ") or not out else " " + word.text.lstrip())
    return "".join(out).strip()


def redacted_spans(words: list[TimedWord], findings: list[Finding]) -> list[tuple[float, float]]:
    """The times to silence, padded, merged where they touch."""
    spans = sorted(
        (max(words[f.first].start - AUDIO_PAD_SECONDS, 0.0), words[f.last].end + AUDIO_PAD_SECONDS)
        for f in findings
    )
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
