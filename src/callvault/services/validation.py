"""Request bodies -> models, with pydantic's first complaint turned into a 400 that names the field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from callvault.domain.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


def field_error(exc: ValidationError, *, what: str = "field", hint: str = "") -> ValidationFailed:
    first = exc.errors()[0]
    location = ".".join(str(p) for p in first["loc"]) or "body"
    return ValidationFailed(f"Invalid {what} {location!r}: {first['msg']}{hint}")


def parse_body(model: type[M], body: Any, *, what: str = "field", hint: str = "") -> M:
    """Validate a decoded JSON body (client models through their own `from_dict`)."""
    if not isinstance(body, dict):
        raise ValidationFailed("Invalid request body: expected a JSON object")
    try:
        from_dict = getattr(model, "from_dict", None)
        parsed = from_dict(body) if from_dict is not None else model.model_validate(body)
    except ValidationError as exc:
        raise field_error(exc, what=what, hint=hint) from None
    if parsed is None:
        raise ValidationFailed("Invalid request body: expected a JSON object")
    return parsed  # type: ignore[no-any-return]
