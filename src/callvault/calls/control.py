"""The "call changed" signal, and the bus that carries it to the process holding the call's media.

The process that holds a call's media WebSocket owns the call's live :class:`CallRecorder`. Every
other process (an API request, an ``answer`` job) changes the call's row in the database first, in a
transaction, and then publishes that the call changed, once per transaction, on a
:class:`CallControlBus`; the owner brings its recorder in line with the row at once (so a pause cuts
at the media position the stream has reached when the signal arrives). The row is the only truth:
the signal says nothing but "read it again", so an owner that attaches later, or signals that
overtake one another, cannot mislead it.

The interface is deliberately tiny (``publish``/``subscribe``) so that a PostgreSQL ``LISTEN/NOTIFY``
or Redis pub/sub implementation can replace :class:`InProcessControlBus`. Delivery is at-most-once
and in publish order per call; subscribers follow the row, so a repeated signal is harmless. A call
is named by its account and its id (call ids are unique within an account, not across accounts).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

__all__ = ["CallChanged", "CallControlBus", "InProcessControlBus"]

log = logging.getLogger("callvault.calls")

CallChanged = Callable[[], None]
"""What a subscriber runs when its call's row changed (on the publisher's or a listener's thread)."""


class CallControlBus(Protocol):
    def publish(self, account_id: str, call_id: str) -> None:
        """Tell whoever subscribed to the account's call that its row changed (nobody: dropped)."""
        ...

    def subscribe(self, account_id: str, call_id: str, callback: CallChanged) -> Callable[[], None]:
        """Run `callback` on every later signal for the account's call; returns unsubscribe."""
        ...

    def close(self) -> None:
        """Stop listening to other processes (nothing to do in one process)."""
        ...


class InProcessControlBus:
    """The bus of a single process: `publish` runs the callbacks at once, on the publisher's thread.

    So the change has taken effect when `publish` returns (a pause cuts at the media position the
    stream has reached at that moment). A failing callback is logged, never raised to the publisher.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[tuple[str, str], list[CallChanged]] = {}

    def publish(self, account_id: str, call_id: str) -> None:
        with self._lock:
            callbacks = list(self._subscribers.get((account_id, call_id), ()))
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("call %s of account %s: following its change failed", call_id, account_id)

    def subscribe(self, account_id: str, call_id: str, callback: CallChanged) -> Callable[[], None]:
        key = (account_id, call_id)
        with self._lock:
            self._subscribers.setdefault(key, []).append(callback)

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._subscribers.get(key, [])
                if callback in callbacks:
                    callbacks.remove(callback)
                if not callbacks:
                    self._subscribers.pop(key, None)

        return unsubscribe

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()
