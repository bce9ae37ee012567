"""How many media streams each source holds open on this process, capped: a stream token's, or an
account's Basic-auth streams (``CALLVAULT_MAX_STREAMS_PER_SOURCE``). Counted per serving process."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from callvault.domain.errors import StreamLimitReached

__all__ = ["StreamSlots"]


class StreamSlots:
    """Open streams per source key; `take` refuses one past the limit. Thread-safe."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def take(self, key: str, label: str) -> Callable[[], None]:
        """A slot for a stream of `key` (`label` names it to the caller); returns its release
        (idempotent). StreamLimitReached when `key` holds the limit already."""
        with self._lock:
            if self._open[key] >= self._limit:
                raise StreamLimitReached(f"{label} already has {self._limit} media streams open")
            self._open[key] += 1
        released = threading.Event()

        def release() -> None:
            with self._lock:
                if not released.is_set():
                    released.set()
                    self._open[key] -= 1
                    if not self._open[key]:
                        del self._open[key]

        return release

    def open_streams(self, key: str) -> int:
        with self._lock:
            return self._open[key]
