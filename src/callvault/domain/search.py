"""Transcript search rules: what a query may be, its terms, and how a hit's snippet is marked.

A query is free text: words (letters and digits) and "quoted phrases". Every term must match (AND);
stemming and diacritics are the database's business. Hits come back best first, one per recording,
each with the best clip's time and a snippet whose matched words are marked.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from callvault.domain.errors import ValidationFailed
from callvault.domain.records import Recording

MAX_QUERY_LENGTH = 200
MAX_TERMS = 16

# The store marks matched words with these (characters no transcript contains); see SnippetPart.
MARK_OPEN = "\x02"
MARK_CLOSE = "\x03"

_PHRASE_OR_WORD = re.compile(r'"([^"]*)"|(\w+)', re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class TranscriptQuery:
    """The query as typed (``text``) and its terms: each a word or a phrase of words."""

    text: str
    terms: tuple[tuple[str, ...], ...]


def parse_query(text: str) -> TranscriptQuery:
    """400 for a query that is empty (no word in it) or too long."""
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationFailed(f"Invalid q: at most {MAX_QUERY_LENGTH} characters")
    terms: list[tuple[str, ...]] = []
    for match in _PHRASE_OR_WORD.finditer(text):
        phrase, word = match.group(1), match.group(2)
        words = tuple(w.lower() for w in _WORD.findall(phrase)) if phrase is not None else (word.lower(),)
        if words and words not in terms:
            terms.append(words)
    if not terms:
        raise ValidationFailed("Invalid q: give at least one word to search the transcripts for")
    if len(terms) > MAX_TERMS:
        raise ValidationFailed(f"Invalid q: at most {MAX_TERMS} words or phrases")
    return TranscriptQuery(text=text, terms=tuple(terms))


@dataclass(frozen=True)
class SnippetPart:
    text: str
    hit: bool


def snippet_parts(marked: str) -> tuple[SnippetPart, ...]:
    """Split text that the store marked with MARK_OPEN/MARK_CLOSE into plain and matched parts."""
    parts: list[SnippetPart] = []
    for index, piece in enumerate(re.split(f"[{MARK_OPEN}{MARK_CLOSE}]", marked)):
        if piece:
            parts.append(SnippetPart(piece, hit=index % 2 == 1))
    return tuple(parts)


def snippet_html(parts: tuple[SnippetPart, ...]) -> str:
    """The snippet as escaped HTML with the matched words in <mark>."""
    return "".join(f"<mark>{html.escape(p.text)}</mark>" if p.hit else html.escape(p.text) for p in parts)


@dataclass(frozen=True)
class TranscriptHit:
    """The best-matching clip of one recording: when it starts and ends, who speaks, the snippet."""

    recording: Recording
    score: float
    clip_start: float
    clip_end: float
    speaker: int
    snippet: tuple[SnippetPart, ...]
    matching_clips: int
