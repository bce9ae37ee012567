"""Identifier formats. Ids are opaque strings. Those callvault creates or stores (ingest, BXML, users)
must match the strict pattern, so an id from a request that does not match it names nothing: lookups
answer "not found" for it without asking the database (as Bandwidth answers 404, not 400)."""

from __future__ import annotations

import re
import secrets
import uuid

from callvault.domain.errors import ValidationFailed

_OPAQUE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def is_valid_id(value: str) -> bool:
    """Whether `value` may be stored as an id (and so whether a lookup of it can find anything)."""
    return _OPAQUE_ID.fullmatch(value) is not None


def require_id(value: str, field: str) -> str:
    if not is_valid_id(value):
        raise ValidationFailed(
            f"Invalid {field} {value[:64]!r}: ids are 1-128 characters of letters, digits, '-' and '_'"
        )
    return value


def _bandwidth_style(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}-{uuid.uuid4()}"


def new_recording_id() -> str:
    return _bandwidth_style("r")


def new_call_id() -> str:
    return _bandwidth_style("c")


def new_transcription_id() -> str:
    return f"t-{uuid.uuid4()}"
