"""Call control buses that cross processes: PostgreSQL LISTEN/NOTIFY and Redis pub/sub.

A signal published here is applied at once to this process's own subscribers (on the publisher's
thread, like :class:`InProcessControlBus`) and broadcast to the other processes, whose listener
thread applies it to theirs; a process ignores its own broadcasts. The listener starts with the
first subscription, so a process that only publishes (a CLI command, a worker) never listens.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import make_url

from callvault.calls.control import CallChanged, CallControlBus, InProcessControlBus

log = logging.getLogger("callvault.calls")

CHANNEL = "callvault_call_control"


class _BroadcastBus:
    """The shared half: local dispatch, message framing and the listener thread's loop."""

    def __init__(self) -> None:
        self._local = InProcessControlBus()
        self._origin = uuid.uuid4().hex
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._listener_lock = threading.Lock()
        self._listener: threading.Thread | None = None

    def subscribe(self, account_id: str, call_id: str, callback: CallChanged) -> Callable[[], None]:
        self._start_listener()
        return self._local.subscribe(account_id, call_id, callback)

    def publish(self, account_id: str, call_id: str) -> None:
        self._local.publish(account_id, call_id)
        message = json.dumps({"origin": self._origin, "accountId": account_id, "callId": call_id})
        try:
            self._broadcast(message)
        except Exception:
            log.exception("call %s: could not broadcast its change to other processes", call_id)

    def _deliver(self, message: str | bytes) -> None:
        try:
            data = json.loads(message)
            if data.get("origin") == self._origin:
                return
            self._local.publish(str(data["accountId"]), str(data["callId"]))
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed call control message: %r", message[:200])

    def _start_listener(self) -> None:
        """Run `_listen` on a daemon thread (again after a failure); wait until it has subscribed."""
        with self._listener_lock:
            if self._listener is None and not self._stop.is_set():
                self._listener = threading.Thread(target=self._run_forever, name="call-control", daemon=True)
                self._listener.start()
        self._ready.wait(10)

    def _run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception:
                log.exception("call control listener lost its connection; reconnecting")
                self._stop.wait(1.0)

    def _listen(self) -> None:
        raise NotImplementedError

    def _broadcast(self, message: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        self._local.close()
        with self._listener_lock:
            listener = self._listener
        if listener is not None:
            listener.join(timeout=5)


class PostgresControlBus(_BroadcastBus):
    """NOTIFY on publish; a thread LISTENs on its own connection."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        import psycopg

        self._psycopg = psycopg
        self._conninfo = (
            make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self._publish_lock = threading.Lock()
        self._publisher: Any = None

    def _listen(self) -> None:
        with self._psycopg.connect(self._conninfo, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self._ready.set()
            while not self._stop.is_set():
                for notify in conn.notifies(timeout=1.0):
                    self._deliver(notify.payload)

    def _broadcast(self, message: str) -> None:
        with self._publish_lock:
            if self._publisher is None or self._publisher.closed:
                self._publisher = self._psycopg.connect(self._conninfo, autocommit=True)
            try:
                self._publisher.execute("SELECT pg_notify(%s, %s)", (CHANNEL, message))
            except self._psycopg.OperationalError:
                self._publisher = None
                raise

    def close(self) -> None:
        super().close()
        with self._publish_lock:
            if self._publisher is not None:
                self._publisher.close()
                self._publisher = None


class RedisControlBus(_BroadcastBus):
    """PUBLISH on publish; a thread reads the channel's subscription."""

    def __init__(self, redis_url: str) -> None:
        super().__init__()
        import redis

        self._client = redis.Redis.from_url(redis_url)

    def _listen(self) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(CHANNEL)
        self._ready.set()
        try:
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message and message.get("type") == "message":
                    self._deliver(message["data"])
        finally:
            pubsub.close()

    def _broadcast(self, message: str) -> None:
        self._client.publish(CHANNEL, message)

    def close(self) -> None:
        super().close()
        self._client.close()


def make_control_bus(database_url: str, redis_url: str | None) -> CallControlBus:
    """Redis when configured, else PostgreSQL's NOTIFY when the database is PostgreSQL, else in-process."""
    if redis_url:
        return RedisControlBus(redis_url)
    if database_url.startswith("postgresql"):
        return PostgresControlBus(database_url)
    return InProcessControlBus()
