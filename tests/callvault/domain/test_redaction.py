"""PII found in timed words (domain/redaction.py): spoken and written digits, Luhn, SSN rules,
configured patterns; what is not PII stays."""

from __future__ import annotations

import pytest

from callvault.domain.errors import ValidationFailed
from callvault.domain.redaction import (
    RedactionPolicy,
    TimedWord,
    find_pii,
    luhn_valid,
    redacted_spans,
    redacted_text,
)

POLICY = RedactionPolicy(enabled=True)


def _words(text: str) -> list[TimedWord]:
    return [TimedWord(" " + word, i * 0.5, i * 0.5 + 0.4) for i, word in enumerate(text.split())]


def _redact(text: str, policy: RedactionPolicy = POLICY) -> str:
    words = _words(text)
    return redacted_text(words, find_pii(words, policy))


@pytest.mark.parametrize(
    "said",
    [
        "my card is 4111 1111 1111 1111 thanks",
        "my card is 4111-1111-1111-1111. thanks",
        "my card is 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, thanks",
        "my card is four one one one one one one one one one one one one one one one thanks",
        "my card is four one one one double one one one triple one one one one one one thanks",
        "my card is forty one eleven eleven eleven eleven eleven eleven one one thanks",
        "my card is 3782 822463 10005 thanks",  # American Express, 15 digits
        "my card is four one one one, one one one one and one one one one, one one one one thanks",
    ],
)
def test_card_numbers_are_redacted_however_they_are_said(said: str) -> None:
    assert _redact(said) == "my card is [REDACTED] thanks"


def test_ssn_is_redacted_and_oh_is_zero() -> None:
    assert _redact("social is 123 45 6789 ok") == "social is [REDACTED] ok"
    assert _redact("social is one two three four five six seven eight nine ok") == "social is [REDACTED] ok"
    assert _redact("social is five oh one two three four five six seven ok") == "social is [REDACTED] ok"


@pytest.mark.parametrize(
    "said",
    [
        "call me at 919 555 1234 please",  # a phone number: ten digits, not nine
        "my card is 4111 1111 1111 1112 thanks",  # fails Luhn
        "my card is 2 2 9 1 9 2 9 3 7 2 8 9 0 0 0 3 thanks",  # fails Luhn; 1929372890003 in it passes
        "social is 000 12 3456 ok",  # area 000 is never issued
        "social is 666 12 3456 ok",
        "I paid for two tickets to four shows",  # sound-alikes outside digits are words
        "order 12345 arrives at 10",
    ],
)
def test_what_is_not_pii_stays(said: str) -> None:
    assert _redact(said) == said


def test_configured_patterns_see_spoken_digits_as_digits() -> None:
    policy = RedactionPolicy(enabled=True, patterns=(r"account \d{8}",))
    assert _redact("my account one two three four five six seven eight ok", policy) == "my [REDACTED] ok"
    assert _redact("my account 1234 ok", policy) == "my account 1234 ok"


def test_spans_cover_the_redacted_words_with_padding_and_merge() -> None:
    words = _words("card 4111 1111 1111 1111 and ssn 123 45 6789")
    spans = redacted_spans(words, find_pii(words, POLICY))
    assert spans == [(pytest.approx(0.35), pytest.approx(2.55)), (pytest.approx(3.35), pytest.approx(5.05))]


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    "body",
    [
        {"patterns": ["("]},
        {"patterns": [".*"]},  # matches the empty string: would redact everything or nothing
        {"patterns": ["x" * 201]},
        {"patterns": ["a"] * 21},
        {"audio": "beep"},
        {"enabled": "yes"},
        {"enable": True},
        [],
    ],
)
def test_policy_refuses_what_cannot_work(body: object) -> None:
    with pytest.raises(ValidationFailed):
        RedactionPolicy.parse(body)
