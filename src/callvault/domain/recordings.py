"""Recording and transcription rules: statuses, filters, limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callvault.domain.errors import ValidationFailed
from callvault.domain.limits import MAX_TRANSCRIBABLE_SECONDS, MIN_TRANSCRIBABLE_SECONDS
from callvault.domain.timefmt import parse_iso_time

LIST_LIMIT = 1000

DIRECTIONS = ("inbound", "outbound")
MEDIA_TYPES = {"wav": "audio/vnd.wave", "mp3": "audio/mpeg"}


@dataclass(frozen=True)
class RecordingFilter:
    account_id: str
    to: str | None = None
    from_: str | None = None
    min_start_time: datetime | None = None
    max_start_time: datetime | None = None
    direction: str | None = None
    tag: str | None = None
    limit: int = LIST_LIMIT


def phone_filter(value: str | None, field: str) -> str | None:
    """A `to`/`from` filter as typed: an unencoded `+` arrives as a space, so " 1919..." means
    "+1919..."; control characters are refused (they can match nothing)."""
    if not value:
        return None
    if any(ord(char) < 32 for char in value):
        raise ValidationFailed(f"Invalid {field} filter {value[:64]!r}: control characters")
    if value.startswith(" ") and value[1:].isascii() and value[1:].isdigit():
        return "+" + value[1:]
    return value


def build_filter(
    account_id: str,
    *,
    to: str | None,
    from_: str | None,
    min_start_time: str | None,
    max_start_time: str | None,
    direction: str | None = None,
    tag: str | None = None,
) -> RecordingFilter:
    """The list's filters; `direction` and `tag` are callvault's (the console's), not Bandwidth's."""
    if direction and direction not in DIRECTIONS:
        raise ValidationFailed(
            f"Invalid direction {direction[:32]!r}: must be one of {', '.join(DIRECTIONS)}"
        )
    return RecordingFilter(
        account_id=account_id,
        to=phone_filter(to, "to"),
        from_=phone_filter(from_, "from"),
        min_start_time=parse_iso_time(min_start_time, "minStartTime") if min_start_time else None,
        max_start_time=parse_iso_time(max_start_time, "maxStartTime") if max_start_time else None,
        direction=direction or None,
        tag=tag or None,
    )


def transcription_size_status(duration_seconds: float) -> str | None:
    """The final status a recording of this length gets without running the engine, if any."""
    if duration_seconds <= MIN_TRANSCRIBABLE_SECONDS:
        return "file-size-too-small"
    if duration_seconds >= MAX_TRANSCRIBABLE_SECONDS:
        return "file-size-too-big"
    return None
