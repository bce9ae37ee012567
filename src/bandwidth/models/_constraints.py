"""Constrained field types shared by several models (limits from the OpenAPI documents)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

Credential = Annotated[str, Field(strict=True, max_length=1024)]
"""A Basic-auth username or password sent with callbacks."""

CallbackUrl = Annotated[str, Field(strict=True, max_length=2048)]
"""A webhook URL."""

Tag = Annotated[str, Field(strict=True, max_length=4096)]
"""A custom tag echoed in callbacks."""

DisplayName = Annotated[str, Field(strict=True, max_length=256)]

UnitInterval = (
    Annotated[float, Field(strict=True, ge=0, le=1)] | Annotated[int, Field(strict=True, ge=0, le=1)]
)
"""A confidence from 0.0 to 1.0."""

CallbackTimeout = (
    Annotated[float, Field(strict=True, ge=1, le=25)] | Annotated[int, Field(strict=True, ge=1, le=25)]
)
"""Webhook delivery timeout, seconds."""

CallTimeout = (
    Annotated[float, Field(strict=True, ge=1, le=300)] | Annotated[int, Field(strict=True, ge=1, le=300)]
)
"""How long an outbound call may ring, seconds."""

CallPriority = Annotated[int, Field(strict=True, ge=1, le=5)]
