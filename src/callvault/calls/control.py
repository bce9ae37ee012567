"""Recording commands for live calls, and the bus that carries them to the process holding the media.

The process that holds a call's media WebSocket owns the call's live :class:`CallRecorder`. Every
other process (an API request, an ``answer`` job) changes the call's row in the database first, in a
transaction, and then publishes a :class:`ControlCommand` for that call on a :class:`CallControlBus`;
the owner brings its recorder in line with the row at once (so a pause cuts at the media position
the stream has reached when the command arrives). The row stays the truth: for an owner that
attaches later, and for commands that overtake one another.

The interface is deliberately tiny (``publish``/``subscribe``) so that a PostgreSQL ``LISTEN/NOTIFY``
or Redis pub/sub implementation can replace :class:`InProcessControlBus` (commands travel as
:meth:`ControlCommand.to_json`). Delivery is at-most-once and in publish order per call; subscribers
apply commands idempotently.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["Action", "CallControlBus", "ControlCommand", "InProcessControlBus"]

log = logging.getLogger("callvault.calls")

Action = Literal["start", "pause", "resume", "stop", "hangup"]
_ACTIONS: tuple[Action, ...] = ("start", "pause", "resume", "stop", "hangup")


@dataclass(frozen=True)
class ControlCommand:
    """One change to a call's recording (or the end of the call), already committed to its row."""

    action: Action
    recording_id: str | None = None

    def to_json(self) -> str:
        return json.dumps({"action": self.action, "recordingId": self.recording_id})

    @classmethod
    def from_json(cls, text: str | bytes) -> ControlCommand:
        data = json.loads(text)
        action = data.get("action")
        if action not in _ACTIONS:
            raise ValueError(f"unknown call control action {action!r}")
        return cls(action=action, recording_id=data.get("recordingId"))


CommandCallback = Callable[[ControlCommand], None]


class CallControlBus(Protocol):
    def publish(self, call_id: str, command: ControlCommand) -> None:
        """Send `command` to whoever subscribed to `call_id` (nobody: it is dropped)."""
        ...

    def subscribe(self, call_id: str, callback: CommandCallback) -> Callable[[], None]:
        """Call `callback` with every command later published for `call_id`; returns unsubscribe."""
        ...

    def close(self) -> None:
        """Stop listening to other processes (nothing to do in one process)."""
        ...


class InProcessControlBus:
    """The bus of a single process: `publish` runs the callbacks at once, on the publisher's thread.

    So the command has taken effect when `publish` returns (a pause cuts at the media position the
    stream has reached at that moment). A failing callback is logged, never raised to the publisher.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[CommandCallback]] = {}

    def publish(self, call_id: str, command: ControlCommand) -> None:
        with self._lock:
            callbacks = list(self._subscribers.get(call_id, ()))
        for callback in callbacks:
            try:
                callback(command)
            except Exception:
                log.exception("call %s: applying %s failed", call_id, command.action)

    def subscribe(self, call_id: str, callback: CommandCallback) -> Callable[[], None]:
        with self._lock:
            self._subscribers.setdefault(call_id, []).append(callback)

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._subscribers.get(call_id, [])
                if callback in callbacks:
                    callbacks.remove(callback)
                if not callbacks:
                    self._subscribers.pop(call_id, None)

        return unsubscribe

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()
