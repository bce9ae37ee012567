"""PII redaction of transcripts and audio (docs/governance.md, "Redaction").

An account's policy (`PUT /accounts/{a}/redactionPolicy`), or a transcription request's `redact`
flag (a callvault extension field of the request body), makes the transcription job ask the engine
for word timings, replace card numbers, US SSNs and configured patterns in the stored transcript (and
so in the search index) with `[REDACTED]`, and write a redacted copy of the audio that becomes the
recording's media. The original is kept (and named as `original_media_key`) when the account says so
or a legal hold covers the recording; otherwise it is purged.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from callvault.domain.records import Recording
from callvault.domain.redaction import (
    Finding,
    RedactionPolicy,
    TimedWord,
    find_pii,
    redacted_spans,
    redacted_text,
)
from callvault.domain.timefmt import utcnow
from callvault.media.blobstore import BlobInfo, BlobStore
from callvault.media.redact_audio import redact_audio
from callvault.services.governance_hooks import Actor, record_audit, require_permission
from callvault.services.recordings import enqueue_purge
from callvault.store import governance_repo, recordings_repo
from callvault.store.database import MetadataStore
from callvault.transcription.output import ChannelTranscript, Clip, TranscriptionOutput

POLICY = "redaction"


def get_policy(store: MetadataStore, actor: Actor, account_id: str) -> RedactionPolicy:
    require_permission(actor, account_id, "policy.read")
    with store.read() as conn:
        stored = governance_repo.get_policy(conn, account_id, POLICY)
    return RedactionPolicy.parse(stored) if stored else RedactionPolicy()


def set_policy(store: MetadataStore, actor: Actor, account_id: str, body: Any) -> RedactionPolicy:
    require_permission(actor, account_id, "policy.manage")
    policy = RedactionPolicy.parse(body)
    with store.write() as conn:
        governance_repo.put_policy(conn, account_id, POLICY, policy.to_json(), actor.name, utcnow())
    record_audit(actor, account_id, "policy.set", POLICY, "ok", **policy.to_json())
    return policy


def policy_for(store: MetadataStore, account_id: str, requested: bool | None) -> RedactionPolicy | None:
    """What a transcription of the account redacts: the request's flag wins over the account's
    `enabled` (a request that asks for it gets the account's patterns, or the defaults)."""
    if requested is False:
        return None
    with store.read() as conn:
        stored = governance_repo.get_policy(conn, account_id, POLICY)
    policy = RedactionPolicy.parse(stored) if stored else RedactionPolicy()
    if requested or policy.enabled:
        return policy
    return None


@dataclasses.dataclass(frozen=True)
class RedactedOutput:
    output: TranscriptionOutput
    spans: list[tuple[float, float]]
    kinds: list[str]


def redact_output(output: TranscriptionOutput, policy: RedactionPolicy) -> RedactedOutput:
    """The transcript with PII replaced, and the times whose audio must go (on every channel).

    A speaker's clips are read as one stretch of words wherever one follows another within
    :data:`CLIPS_JOINED_SECONDS`: the engine cuts its clips at its own windows, and a card number read
    across that cut is still one number (read clip by clip, it was two short runs, and leaked)."""
    clips = list(output.clips)
    spans: list[tuple[float, float]] = []
    kinds: list[str] = []
    for stretch in _stretches(output.clips):
        words_of = {position: _timed_words(output.clips[position]) for position in stretch}
        words = [word for position in stretch for word in words_of[position]]
        findings = find_pii(words, policy)
        kinds.extend(finding.kind for finding in findings)
        spans.extend(redacted_spans(words, findings))
        first_word = 0
        for position in stretch:
            clip, clip_words = output.clips[position], words_of[position]
            within = _within(findings, first_word, first_word + len(clip_words) - 1)
            if within:
                clip = dataclasses.replace(clip, text=redacted_text(clip_words, within))
            clips[position] = dataclasses.replace(clip, words=())
            first_word += len(clip_words)
    transcripts = [
        ChannelTranscript(
            text=" ".join(clip.text for clip in clips if clip.speaker == channel),
            confidence=transcript.confidence,
        )
        for channel, transcript in enumerate(output.transcripts)
    ]
    return RedactedOutput(dataclasses.replace(output, clips=clips, transcripts=transcripts), spans, kinds)


CLIPS_JOINED_SECONDS = 2.0
"""Clips of one speaker this close are one stretch of speech to the PII search (a window's cut falls
in a pause: 0.3-0.6 s between the digits on either side of it in the redaction benchmark)."""


def _stretches(clips: list[Clip]) -> list[list[int]]:
    """The clips' positions, grouped into each speaker's stretches of speech, in time order."""
    stretches: list[list[int]] = []
    last_of_speaker: dict[int, list[int]] = {}
    for position in sorted(range(len(clips)), key=lambda p: (clips[p].speaker, clips[p].start)):
        clip = clips[position]
        current = last_of_speaker.get(clip.speaker)
        if current is not None and clip.start - clips[current[-1]].end <= CLIPS_JOINED_SECONDS:
            current.append(position)
            continue
        last_of_speaker[clip.speaker] = current = [position]
        stretches.append(current)
    return stretches


def _within(findings: list[Finding], first: int, last: int) -> list[Finding]:
    """The findings' parts that fall in words ``first``..``last``, counted from ``first``."""
    return [
        Finding(finding.kind, max(finding.first, first) - first, min(finding.last, last) - first)
        for finding in findings
        if finding.first <= last and finding.last >= first
    ]


def _timed_words(clip: Clip) -> list[TimedWord]:
    return [TimedWord(w.text, w.start, w.end) for w in clip.words] or _untimed_words(clip)


def _untimed_words(clip: Clip) -> list[TimedWord]:
    """A clip without word timings: its words, each timed as the whole clip (so its audio all goes)."""
    return [TimedWord(" " + text, clip.start, clip.end) for text in clip.text.split()]


def write_redacted_copy(
    blobs: BlobStore, source: Path, recording: Recording, spans: list[tuple[float, float]], fill: str
) -> BlobInfo:
    """The redacted copy, stored as a new blob (an orphan, swept, if its row never names it)."""
    suffix = f".{recording.file_format}"
    with tempfile.TemporaryDirectory(prefix="callvault-redact-") as tmp:
        copy = Path(tmp) / f"redacted{suffix}"
        with copy.open("wb") as out:
            redact_audio(source, out, spans, file_format=recording.file_format, fill=fill)  # type: ignore[arg-type]
        with copy.open("rb") as data:
            return blobs.write(blobs.new_key(suffix), iter(lambda: data.read(1 << 20), b""))


def adopt_redacted_copy(
    conn: Connection, recording: Recording, copy: BlobInfo, policy: RedactionPolicy, grace_seconds: float
) -> None:
    """Make the copy the recording's media in the caller's transaction; keep or purge the original."""
    current = recordings_repo.get_recording_by_id(conn, recording.account_id, recording.recording_id)
    if current is None or current.media_key != recording.media_key or current.media_key is None:
        enqueue_purge(conn, copy.key, 0)  # the media changed meanwhile: this copy is of old audio
        return
    held = bool(governance_repo.holds_covering(conn, current))
    if current.original_media_key:  # redacted before: the first original stays the original
        original = (
            current.original_media_key,
            current.original_media_size or 0,
            current.original_media_sha256 or "",
        )
        enqueue_purge(conn, current.media_key, grace_seconds)
    elif policy.keep_original or held:
        original = (current.media_key, current.media_size or 0, current.media_sha256 or "")
    else:
        original = None
        enqueue_purge(conn, current.media_key, grace_seconds)
    recordings_repo.replace_media(
        conn,
        recording.account_id,
        recording.recording_id,
        media=(copy.key, copy.size, copy.sha256),
        original=original,
        at=utcnow(),
    )
