"""VoiceApiError: the error body of every non-2xx response."""

from __future__ import annotations

from typing import ClassVar

from pydantic import StrictStr

from bandwidth.models._wire import WireModel


class VoiceApiError(WireModel):
    """`{"type": ..., "description": ..., "id": ...}`."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"id"})

    type: StrictStr | None = None
    description: StrictStr | None = None
    id: StrictStr | None = None
