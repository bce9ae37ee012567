"""SQL for transcript search queries (the index itself is written by search_index.py).

SQLite: FTS5 (`transcript_clips_fts`, porter stemming, diacritics folded), ranked by bm25. PostgreSQL:
the generated `search_vector` column (built in the text search configuration of the transcript's
language, see migration 0013) under a GIN index; a query is parsed in each configuration callvault
transcribes and OR-ed, so a word matches in whichever language it was spoken; ranked by ts_rank_cd.
Both give one hit per recording (its best clip), best first, ties newest first.
"""

from __future__ import annotations

from sqlalchemy import Connection, Float, Integer, String, Subquery, Text, func, select, text

from callvault.domain.recordings import RecordingFilter
from callvault.domain.search import MARK_CLOSE, MARK_OPEN, TranscriptHit, TranscriptQuery, snippet_parts
from callvault.store.recording_lists import filtered_recordings
from callvault.store.recordings_repo import recording_from_row
from callvault.store.tables import recordings

SNIPPET_WORDS = 24

_HIT_COLUMNS = {
    "recording_id": String,
    "clip_index": Integer,
    "speaker": Integer,
    "start_seconds": Float,
    "end_seconds": Float,
    "marked": Text,
    "score": Float,
}

_SQLITE_HITS = (
    "SELECT c.recording_id, c.clip_index, c.speaker, c.start_seconds, c.end_seconds, "
    "snippet(transcript_clips_fts, 0, :mark_open, :mark_close, '…', :words) AS marked, "
    "-bm25(transcript_clips_fts) AS score "
    "FROM transcript_clips_fts JOIN transcript_clips AS c ON c.id = transcript_clips_fts.rowid "
    "WHERE transcript_clips_fts MATCH :match AND c.account_id = :account"
)

_POSTGRES_CLIP_CONFIG = (
    "CASE c.language WHEN 'en' THEN 'english'::regconfig WHEN 'fr' THEN 'french'::regconfig "
    "WHEN 'es' THEN 'spanish'::regconfig ELSE 'simple'::regconfig END"
)
_POSTGRES_QUERY = " || ".join(
    f"websearch_to_tsquery('{config}', :terms)" for config in ("english", "french", "spanish", "simple")
)
_POSTGRES_HITS = (
    "SELECT c.recording_id, c.clip_index, c.speaker, c.start_seconds, c.end_seconds, "
    f"ts_headline({_POSTGRES_CLIP_CONFIG}, c.text, q.query, :headline) AS marked, "
    "ts_rank_cd(c.search_vector, q.query) AS score "
    f"FROM transcript_clips AS c, (SELECT {_POSTGRES_QUERY} AS query) AS q "
    "WHERE c.search_vector @@ q.query AND c.account_id = :account"
)


def _fts5_match(query: TranscriptQuery) -> str:
    """Each term as a quoted FTS5 string (a phrase when it has several words): no operator gets in."""
    return " ".join('"' + " ".join(words) + '"' for words in query.terms)


def _websearch_terms(query: TranscriptQuery) -> str:
    return " ".join('"' + " ".join(words) + '"' if len(words) > 1 else words[0] for words in query.terms)


def _hits(conn: Connection, account_id: str, query: TranscriptQuery) -> Subquery:
    if conn.dialect.name == "postgresql":
        headline = (
            f"StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}, MaxWords={SNIPPET_WORDS}, "
            f"MinWords={SNIPPET_WORDS // 2}, FragmentDelimiter=…"
        )
        sql = text(_POSTGRES_HITS).bindparams(
            terms=_websearch_terms(query), headline=headline, account=account_id
        )
    else:
        sql = text(_SQLITE_HITS).bindparams(
            mark_open=MARK_OPEN,
            mark_close=MARK_CLOSE,
            words=SNIPPET_WORDS,
            match=_fts5_match(query),
            account=account_id,
        )
    return sql.columns(**_HIT_COLUMNS).subquery("hits")


def search_recordings(
    conn: Connection, flt: RecordingFilter, query: TranscriptQuery, limit: int
) -> list[TranscriptHit]:
    """The recordings matching the filter whose transcript matches, best first, at most `limit`."""
    hits = _hits(conn, flt.account_id, query)
    best_first = (hits.c.score.desc(), hits.c.start_seconds)
    ranked = select(
        hits,
        func.row_number().over(partition_by=hits.c.recording_id, order_by=best_first).label("place"),
        func.count().over(partition_by=hits.c.recording_id).label("matching_clips"),
    ).subquery("ranked")
    statement = (
        filtered_recordings(flt)
        .add_columns(
            ranked.c.score,
            ranked.c.start_seconds,
            ranked.c.end_seconds,
            ranked.c.speaker,
            ranked.c.marked,
            ranked.c.matching_clips,
        )
        .join(ranked, ranked.c.recording_id == recordings.c.recording_id)
        .where(ranked.c.place == 1)
        .order_by(ranked.c.score.desc(), recordings.c.start_time.desc(), recordings.c.id.desc())
        .limit(limit)
    )
    return [
        TranscriptHit(
            recording=recording_from_row(row),
            score=float(row.score),
            clip_start=float(row.start_seconds),
            clip_end=float(row.end_seconds),
            speaker=int(row.speaker),
            snippet=snippet_parts(row.marked or ""),
            matching_clips=int(row.matching_clips),
        )
        for row in conn.execute(statement)
    ]


def matching_clip_indexes(
    conn: Connection, account_id: str, recording_id: str, query: TranscriptQuery
) -> set[int]:
    """Which of one recording's clips match the query (to mark them on the recording's page)."""
    hits = _hits(conn, account_id, query)
    statement = select(hits.c.clip_index).where(hits.c.recording_id == recording_id)
    return {int(row.clip_index) for row in conn.execute(statement)}
