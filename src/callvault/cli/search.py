"""`callvault search WORDS --account A`: the recordings whose transcript matches, best first."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from callvault.cli.common import DataDirOption, fail, load_settings, open_services, operator_name, out
from callvault.domain.audit import ActorKind
from callvault.domain.errors import VoiceApiError
from callvault.domain.recordings import LIST_LIMIT, build_filter
from callvault.domain.search import TranscriptHit, parse_query
from callvault.domain.timefmt import format_iso_time
from callvault.services import finding
from callvault.services.audit import record


def _snippet_markup(hit: TranscriptHit) -> str:
    return "".join(f"[reverse]{escape(p.text)}[/reverse]" if p.hit else escape(p.text) for p in hit.snippet)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def search(
    words: str = typer.Argument(..., help='What was said: words and "quoted phrases", all must match'),
    account: str = typer.Option(..., "--account", help="Account whose recordings to search"),
    from_: str = typer.Option(None, "--from", help="Only calls from this number"),
    to: str = typer.Option(None, "--to", help="Only calls to this number"),
    limit: int = typer.Option(20, "--limit", min=1, max=LIST_LIMIT, help="At most this many recordings"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line instead of a table"),
    data_dir: Path = DataDirOption,
) -> None:
    """Search the transcripts of an account's recordings, best match first."""
    services = open_services(load_settings(data_dir=data_dir))
    try:
        flt = build_filter(account, to=to, from_=from_, min_start_time=None, max_start_time=None)
        hits = finding.search(services.store, flt, parse_query(words), limit)
        record(
            services.audit,
            actor=operator_name(),
            actor_kind=ActorKind.OPERATOR,
            action="transcript",
            result=str(len(hits)),
            account_id=account,
            command="callvault search",
            query=words,
        )
    except VoiceApiError as exc:
        fail(exc.description)
    finally:
        services.close()
    if as_json:
        for hit, _transcription in hits:
            rec = hit.recording
            typer.echo(
                json.dumps(
                    {
                        "recordingId": rec.recording_id,
                        "callId": rec.call_id,
                        "startTime": format_iso_time(rec.start_time),
                        "from": rec.from_number,
                        "to": rec.to_number,
                        "clipStartTime": round(hit.clip_start, 3),
                        "channel": hit.speaker + 1,
                        "snippet": "".join(p.text for p in hit.snippet),
                        "score": round(hit.score, 6),
                    }
                )
            )
        return
    if not hits:
        out.print(f"No transcript in account {account} matches {words!r}.")
        return
    table = Table("started (UTC)", "from → to", "at", "what was said", "recording id")
    for hit, _transcription in hits:
        rec = hit.recording
        table.add_row(
            format_iso_time(rec.start_time),
            f"{rec.from_number or '?'} → {rec.to_number or '?'}",
            _clock(hit.clip_start),
            _snippet_markup(hit),
            rec.recording_id,
        )
    out.print(table)
