"""Decoding JSON text from callers: one answer for malformed JSON and for JSON nested too deeply."""

from __future__ import annotations

import json
from typing import Any

from callvault.domain.errors import ValidationFailed


def load_json(text: str | bytes, what: str) -> Any:
    """`json.loads`, with a 400 that names `what` (e.g. "the request body") instead of a
    RecursionError for `[[[[...` nested past the interpreter's recursion limit. `NaN` and
    `Infinity` are not JSON (RFC 8259) and could not be stored as JSON: refused too."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValidationFailed(f"Invalid {what}: the JSON is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(f"Invalid {what}: it is not valid JSON") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
