"""Transcript queries and snippets: the rules, without a database."""

from __future__ import annotations

import pytest

from callvault.domain.errors import ValidationFailed
from callvault.domain.search import MARK_CLOSE, MARK_OPEN, parse_query, snippet_html, snippet_parts


def test_queries_become_words_and_phrases() -> None:
    assert parse_query('Refund "credit card"  refund').terms == (("refund",), ("credit", "card"))
    assert parse_query("naïve café").terms == (("naïve",), ("café",))
    for bad in ("", "   ", '"" ** ()', "x" * 201):
        with pytest.raises(ValidationFailed):
            parse_query(bad)


def test_snippets_escape_the_text_and_mark_the_hits() -> None:
    parts = snippet_parts(f"say <b>{MARK_OPEN}refund{MARK_CLOSE}</b> & {MARK_OPEN}more{MARK_CLOSE}")
    assert [(p.text, p.hit) for p in parts] == [
        ("say <b>", False),
        ("refund", True),
        ("</b> & ", False),
        ("more", True),
    ]
    assert snippet_html(parts) == "say &lt;b&gt;<mark>refund</mark>&lt;/b&gt; &amp; <mark>more</mark>"
