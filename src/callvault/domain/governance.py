"""Governance rules: retention policies, legal holds and erasure receipts (docs/governance.md).

Pure values and their validation; which recordings a hold covers is decided here for one recording
(`LegalHold.covers`) and, for many at once, by the same rule in SQL (`store/governance_repo.held_clause`).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from callvault.domain.errors import ValidationFailed
from callvault.domain.ids import is_valid_id
from callvault.domain.records import Recording

MAX_RETENTION_DAYS = 36_500
"""A hundred years: anything longer is a typo (MiFID II asks for 5-7 years, some archives for 10)."""
HOLD_KINDS = ("recording", "call", "number")
HoldKind = Literal["recording", "call", "number"]
MAX_REASON_CHARS = 2_000
RETENTION_STAGES = ("metadata", "media", "transcript")
"""What retention removes, most first: a removed row takes its media and transcript with it."""

_NUMBER = re.compile(r"\+?[0-9]{3,20}")


def _days(value: Any, field_name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"Invalid {field_name} {str(value)[:32]!r}: a whole number of days, or null")
    if not 1 <= value <= MAX_RETENTION_DAYS:
        raise ValidationFailed(
            f"Invalid {field_name} {value}: must be between 1 and {MAX_RETENTION_DAYS} days, or null to keep"
        )
    return value


@dataclass(frozen=True)
class RetentionPolicy:
    """Remove a recording's media, transcript or whole row once it started more than N days ago
    (None: keep forever)."""

    media_days: int | None = None
    transcript_days: int | None = None
    metadata_days: int | None = None

    def days(self, stage: str) -> int | None:
        return {
            "media": self.media_days,
            "transcript": self.transcript_days,
            "metadata": self.metadata_days,
        }[stage]

    def to_json(self) -> dict[str, Any]:
        return {
            "mediaDays": self.media_days,
            "transcriptDays": self.transcript_days,
            "metadataDays": self.metadata_days,
        }

    @classmethod
    def parse(cls, data: Any) -> RetentionPolicy:
        """From a caller's JSON object (unknown keys refused, so a typo never means "keep forever")."""
        if not isinstance(data, dict):
            raise ValidationFailed(
                "Invalid retention policy: a JSON object with mediaDays, transcriptDays, metadataDays"
            )
        unknown = set(data) - {"mediaDays", "transcriptDays", "metadataDays"}
        if unknown:
            raise ValidationFailed(
                f"Invalid retention policy: unknown field(s) {', '.join(sorted(unknown))[:128]}; "
                "the fields are mediaDays, transcriptDays, metadataDays"
            )
        return cls(
            media_days=_days(data.get("mediaDays"), "mediaDays"),
            transcript_days=_days(data.get("transcriptDays"), "transcriptDays"),
            metadata_days=_days(data.get("metadataDays"), "metadataDays"),
        )


def normalize_number(value: str | None, field_name: str = "number") -> str:
    """A phone number as recordings store it (`+19195551234`); a leading space is an unencoded `+`."""
    text = value or ""
    if text.startswith(" ") and text[1:].isascii() and text[1:].isdigit():
        text = "+" + text[1:]
    if not _NUMBER.fullmatch(text):
        raise ValidationFailed(
            f"Invalid {field_name} {text[:32]!r}: a phone number such as +19195551234 (3-20 digits)"
        )
    return text


def number_fingerprint(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()


def number_hint(number: str) -> str:
    """What a receipt shows of an erased number: its last two digits."""
    return f"…{number[-2:]}"


def new_hold_id() -> str:
    return f"hold-{uuid.uuid4()}"


def new_receipt_id() -> str:
    return f"erasure-{uuid.uuid4()}"


def hold_target(kind: Any, target: Any) -> tuple[HoldKind, str]:
    """Check a hold's kind and target (a number is normalised)."""
    if kind not in HOLD_KINDS:
        raise ValidationFailed(
            f"Invalid hold type {str(kind)[:32]!r}: must be one of {', '.join(HOLD_KINDS)}"
        )
    if not isinstance(target, str) or not target:
        raise ValidationFailed(f"Invalid hold: a {kind} hold needs the {kind} it holds")
    if kind == "number":
        return "number", normalize_number(target)
    if not is_valid_id(target):
        raise ValidationFailed(f"Invalid {kind} id {target[:64]!r}")
    return kind, target  # type: ignore[return-value]


def hold_reason(reason: Any) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("Invalid hold: a reason is required (the matter, case or request it serves)")
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationFailed(f"Invalid hold reason: at most {MAX_REASON_CHARS} characters")
    return reason.strip()


@dataclass(frozen=True)
class LegalHold:
    hold_id: str
    account_id: str
    kind: HoldKind
    target: str
    reason: str
    placed_by: str
    placed_at: datetime
    released_at: datetime | None = None
    released_by: str | None = None
    release_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None

    def covers(self, recording: Recording) -> bool:
        """Whether this hold, while active, keeps `recording` (every recording of a held call, and every
        recording from or to a held number, now and later)."""
        if not self.active or recording.account_id != self.account_id:
            return False
        if self.kind == "recording":
            return recording.recording_id == self.target
        if self.kind == "call":
            return recording.call_id == self.target
        return self.target in (recording.from_number, recording.to_number)


@dataclass
class ErasureReceipt:
    """What one erasure did: kept (stored) and answered, so the request can be proven later."""

    receipt_id: str
    account_id: str
    number_hint: str
    requested_by: str
    created_at: datetime
    erased: list[str] = field(default_factory=list)
    """Recordings whose media and transcript are gone."""
    held: dict[str, list[str]] = field(default_factory=dict)
    """Recordings kept because of legal holds: recording id -> hold ids."""
    media_removed: int = 0
    transcripts_removed: int = 0
