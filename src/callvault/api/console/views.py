"""What the console's templates print: plain view values built from the services' records (human
times and durations, compact ids, speaker names). No API logic: routes call the services, then hand
their results through these functions to a template (`templating.render`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from callvault.domain.records import Call, Recording, Transcription, TranscriptionShown
from callvault.domain.search import TranscriptHit, snippet_html
from callvault.domain.timefmt import format_iso_time

LIST_FIELDS = ("q", "from", "to", "direction", "tag", "minStartTime", "maxStartTime", "sort", "pageToken")
"""What the recordings list is in its URL: a recording's page carries them, so "back" returns to it."""


def list_query(params: Mapping[str, str]) -> dict[str, str]:
    """The list's own fields of a query string (the empty ones left out)."""
    return {name: params[name] for name in LIST_FIELDS if params.get(name)}


def list_url(account: str, params: Mapping[str, str], **extra: str) -> str:
    return "/ui?" + urlencode({"account": account} | list_query(params) | extra)


def clock(seconds: float) -> str:
    """72.4 -> '1:12'; 30.5 -> '0:31' (halves up, as the page's script rounds); 3725 -> '1:02:05'."""
    total = max(0, math.floor(seconds + 0.5))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def short_id(value: str) -> str:
    return value if len(value) <= 16 else f"{value[:10]}…{value[-4:]}"


def lane_names(recording: Recording) -> list[str]:
    """Channel 1 carries the inbound track (the far party), channel 2 the outbound one (the agent)."""
    if recording.channels < 2:
        return ["Both parties (mono)"]
    far = "Caller" if recording.direction == "inbound" else "Called party"
    names = [far, "Agent"]
    return names + [f"Channel {n}" for n in range(3, recording.channels + 1)]


def recording_page_url(recording: Recording, **params: str) -> str:
    path = (
        f"/ui/accounts/{quote(recording.account_id)}/calls/{quote(recording.call_id)}"
        f"/recordings/{quote(recording.recording_id)}"
    )
    return path + ("?" + urlencode(params) if params else "")


def transcript_state(transcription: TranscriptionShown | None) -> str:
    if transcription is None:
        return "not transcribed"
    if transcription.status == "processing":
        return "transcribing…"
    return transcription.status


@dataclass(frozen=True)
class RecordingView:
    recording_id: str
    short_id: str
    url: str
    start_iso: str
    start_utc: str
    duration: str
    duration_seconds: float
    from_number: str
    to_number: str
    direction: str
    status: str
    file_format: str
    media_deleted: bool
    transcript_status: str
    snippet_html: str = ""
    clip_url: str = ""
    clip_clock: str = ""
    matching_clips: int = 0


def recording_view(
    recording: Recording,
    transcription: TranscriptionShown | None,
    hit: TranscriptHit | None = None,
    listed: Mapping[str, str] | None = None,
) -> RecordingView:
    """A row of the list (`listed`: the list's query, which the recording's page keeps) or the page's head."""
    start = format_iso_time(recording.start_time)
    kept = list_query(listed or {})
    return RecordingView(
        recording_id=recording.recording_id,
        short_id=short_id(recording.recording_id),
        url=recording_page_url(recording, **kept),
        start_iso=start,
        start_utc=start.replace("T", " ").replace("Z", " UTC"),
        duration=clock(recording.duration_seconds),
        duration_seconds=recording.duration_seconds,
        from_number=recording.from_number or "unknown",
        to_number=recording.to_number or "unknown",
        direction=recording.direction or "",
        status=recording.status,
        file_format=recording.file_format,
        media_deleted=recording.media_key is None,
        transcript_status=transcript_state(transcription),
        snippet_html=snippet_html(hit.snippet) if hit else "",
        clip_url=recording_page_url(recording, **kept, t=f"{hit.clip_start:.2f}") if hit else "",
        clip_clock=clock(hit.clip_start) if hit else "",
        matching_clips=hit.matching_clips if hit else 0,
    )


@dataclass(frozen=True)
class ClipView:
    speaker: int
    who: str
    start: float
    end: float
    clock: str
    text: str
    hit: bool


def clip_views(recording: Recording, transcription: Transcription | None, hits: set[int]) -> list[ClipView]:
    if transcription is None or transcription.status != "available" or not transcription.result:
        return []
    names = lane_names(recording)
    views = []
    for index, clip in enumerate(transcription.result.get("clips", [])):
        speaker = int(clip.get("speaker", 0))
        start = float(clip.get("start", 0.0))
        views.append(
            ClipView(
                speaker=speaker,
                who=names[speaker] if speaker < len(names) else f"Channel {speaker + 1}",
                start=round(start, 3),
                end=round(float(clip.get("end", start)), 3),
                clock=clock(start),
                text=str(clip.get("text", "")).strip(),
                hit=index in hits,
            )
        )
    return views


def metadata_items(recording: Recording, transcription: Transcription | None) -> list[tuple[str, str]]:
    items = [
        ("Recording id", recording.recording_id),
        ("Call id", recording.call_id),
        ("Direction", recording.direction or "unknown"),
        ("Length", f"{clock(recording.duration_seconds)} ({recording.duration_seconds:.1f} s)"),
        (
            "Format",
            f"{recording.file_format.upper()}, {recording.channels} channel(s)"
            + (f", {recording.sample_rate} Hz" if recording.sample_rate else ""),
        ),
        ("Size", f"{recording.media_size / 1024:.0f} KB" if recording.media_size else "—"),
        ("Started (UTC)", format_iso_time(recording.start_time)),
        ("Transcript", transcript_state(transcription)),
    ]
    if transcription is not None and transcription.language:
        items.append(("Language", transcription.language))
    if transcription is not None and transcription.error:
        items.append(("Transcription error", transcription.error))
    for label, value in (
        ("Application id", recording.application_id),
        ("Parent call id", recording.parent_call_id),
        ("Name", recording.recording_name),
        ("Tag", recording.tag),
    ):
        if value:
            items.append((label, value))
    return items


def live_call_view(call: Call) -> dict[str, str | None]:
    """A call in progress as the live page's script reads it."""
    return {
        "callId": call.call_id,
        "from": call.from_number,
        "to": call.to_number,
        "direction": call.direction,
        "startTime": format_iso_time(call.start_time),
        "recordingState": call.recording_state,
    }


def call_recording_view(recording: Recording) -> dict[str, str]:
    """A finished recording of a call as the live page's script links it."""
    return {
        "recordingId": recording.recording_id,
        "url": recording_page_url(recording),
        "duration": clock(recording.duration_seconds),
        "status": recording.status,
    }
