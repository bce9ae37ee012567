"""Recording to the access log: a bounded queue and one writer thread per process, so a request pays
for appending an entry to a deque (no lock, no wake-up of the writer while it has work), not for a
database write.

The writer appends in batches, each one transaction that locks the chain head (`store.audit_repo`), so
any number of processes on one database extend one chain; it signs the head (an anchor) every
`anchor_seconds` and when it stops. `close()` (and interpreter exit) writes everything queued before
returning: a clean shutdown loses nothing. A process killed with SIGKILL loses what was still queued:
the entries of the last `LINGER_SECONDS` or so, more while the database is unreachable.

Other features record with one call: `record(services.audit, actor=..., action="hold", ...)`.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from callvault.domain.audit import AccessEntry, ActorKind, chain
from callvault.domain.timefmt import utcnow
from callvault.services.audit_signing import AnchorSigner
from callvault.store import audit_repo
from callvault.store.database import MetadataStore

log = logging.getLogger("callvault.audit")

BATCH_SIZE = 500
LINGER_SECONDS = 0.05
"""How long the writer waits for more entries after the first one before it writes them together."""
_IDLE_SECONDS = 1.0
_FULL_WAIT_SECONDS = 0.005
_RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)
_LIMITS = {"actor": 128, "address": 64, "action": 32, "result": 32, "account_id": 128, "recording_id": 128}


_FIELD_LIMITS = tuple(_LIMITS.items()) + (("call_id", 128),)
_FIELD_TEXTS = attrgetter(*(name for name, _ in _FIELD_LIMITS))
_FIELD_LIMIT_VALUES = tuple(limit for _, limit in _FIELD_LIMITS)


def _clean_text(value: str, limit: int | None = None) -> str:
    text = value.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL
    return text[:limit] if limit else text


def _clean_detail(value: Any) -> Any:
    if isinstance(value, str):
        return _clean_text(value, 2048)
    if isinstance(value, dict):
        return {_clean_text(str(k), 64): _clean_detail(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_detail(v) for v in value]
    return value


def _fits(value: Any, limit: int) -> bool:
    if isinstance(value, str):
        return len(value) <= limit and "\x00" not in value
    if isinstance(value, dict):
        return all(_fits(k, 64) and _fits(v, 2048) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_fits(v, 2048) for v in value)
    return True


def _fields_fit(entry: AccessEntry) -> bool:
    texts: tuple[str | None, ...] = _FIELD_TEXTS(entry)
    for value, limit in zip(texts, _FIELD_LIMIT_VALUES, strict=True):
        if value is not None and (len(value) > limit or "\x00" in value):
            return False
    for key, value in entry.detail.items():
        if len(key) > 64 or "\x00" in key or not _fits(value, 2048):
            return False
    return True


def clean(entry: AccessEntry) -> AccessEntry:
    """The entry as the database can hold it: no NUL characters, every text within its column."""
    if _fields_fit(entry):
        return entry
    changes: dict[str, Any] = {
        name: _clean_text(getattr(entry, name), limit)
        for name, limit in _FIELD_LIMITS
        if getattr(entry, name) is not None
    }
    changes["detail"] = _clean_detail(entry.detail)
    return entry._replace(**changes)


class AuditLog:
    """One process's writer of the access log."""

    def __init__(
        self,
        store: MetadataStore,
        signer: AnchorSigner,
        *,
        enabled: bool = True,
        anchor_seconds: float = 300.0,
        queue_size: int = 10_000,
    ) -> None:
        self._store = store
        self._signer = signer
        self.enabled = enabled
        self._anchor_seconds = anchor_seconds
        self._queue: deque[AccessEntry] = deque()
        self._queue_size = queue_size
        self._wake = threading.Event()  # set by the entry that finds the queue empty
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._next_anchor = time.monotonic() + anchor_seconds
        self._lock = threading.Lock()  # one writer of batches at a time (the thread, or a late caller)
        self.written = 0
        self._thread: threading.Thread | None = None
        if enabled:
            self._thread = threading.Thread(target=self._run, name="callvault-audit", daemon=True)
            self._thread.start()
            atexit.register(self.close)

    def record(self, entry: AccessEntry) -> None:
        """Queue an entry (waits only while the queue is full, so nothing is dropped; the bound is
        loose by the number of threads recording at once)."""
        if not self.enabled:
            return
        if self._stopped.is_set():  # after close: written at once
            self._write([entry])
            return
        queued = self._queue
        while len(queued) >= self._queue_size and not self._stopped.is_set():
            time.sleep(_FULL_WAIT_SECONDS)
        if queued:
            queued.append(entry)
        else:
            queued.append(entry)
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def close(self, timeout: float = 60.0) -> None:
        """Write everything queued, sign the head, stop the writer."""
        if self._thread is None or self._stopping.is_set():
            return
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("access log: %d entries were still unwritten after %.0f s", self.pending, timeout)
            return
        late = []  # recorded while the writer was finishing
        while self._queue:
            late.append(self._queue.popleft())
        if late:
            self._write(late)
        atexit.unregister(self.close)

    def _run(self) -> None:
        try:
            while not (self._stopping.is_set() and not self._queue):
                batch = self._take()
                if batch:
                    self._write(batch)
                if time.monotonic() >= self._next_anchor:
                    self._anchor()
            self._anchor()
        finally:
            self._stopped.set()

    def _take(self) -> list[AccessEntry]:
        """The next batch: waits for the entry that finds the queue empty, then lets more gather for
        LINGER_SECONDS (asleep, so entries recorded meanwhile do not wake this thread one by one), then
        takes what is there. A whole batch already waiting is taken at once: lingering before every
        batch capped the writer at BATCH_SIZE entries per LINGER_SECONDS (~8,900 a second here, beyond
        which every request waited for room), where it now writes ~96,000."""
        if not self._queue:
            self._wake.wait(0.05 if self._stopping.is_set() else _IDLE_SECONDS)
        self._wake.clear()  # before taking: an entry that finds the queue empty after this wakes us again
        if not self._queue:
            return []
        if not self._stopping.is_set() and len(self._queue) < BATCH_SIZE:
            time.sleep(LINGER_SECONDS)
        queued = self._queue
        return [queued.popleft() for _ in range(min(len(queued), BATCH_SIZE))]

    def _write(self, batch: Sequence[AccessEntry]) -> None:
        """Append the batch; retries while the database is unreachable, never drops an entry."""
        attempt = 0
        while True:
            try:
                with self._lock:
                    self._append(batch)
                return
            except OperationalError as error:
                delay = _RETRY_SECONDS[min(attempt, len(_RETRY_SECONDS) - 1)]
                log.warning(
                    "access log: cannot write %d entries (%s); retrying in %.1f s", len(batch), error, delay
                )
                attempt += 1
                time.sleep(delay)
            except SQLAlchemyError:
                if len(batch) == 1:
                    log.exception("access log: an entry cannot be stored; storing a note of it instead")
                    note = batch[0]._replace(detail={"unstorable": True})
                    with self._lock:
                        self._append([note])
                    return
                for entry in batch:  # find the one entry the database refuses, keep the others
                    self._write([entry])
                return

    def _append(self, batch: Sequence[AccessEntry]) -> None:
        cleaned = [clean(entry) for entry in batch]
        with self._store.write() as conn:
            seq, digest = audit_repo.lock_head(conn)
            audit_repo.append(conn, chain(cleaned, seq, digest), utcnow())
        self.written += len(batch)

    def _anchor(self) -> None:
        """Sign the chain head unless it is signed already (by any process)."""
        self._next_anchor = time.monotonic() + self._anchor_seconds
        try:
            with self._lock, self._store.write() as conn:
                seq, digest = audit_repo.lock_head(conn)
                last = audit_repo.last_anchor(conn)
                if seq > 0 and (last is None or last.seq < seq):
                    audit_repo.add_anchor(conn, self._signer.sign(seq, digest, utcnow()))
        except SQLAlchemyError as error:
            log.warning("access log: could not sign the chain head (%s); trying again later", error)


def record(
    audit: AuditLog,
    *,
    actor: str,
    action: str,
    actor_kind: str = ActorKind.USER,
    result: str = "ok",
    account_id: str | None = None,
    recording_id: str | None = None,
    call_id: str | None = None,
    address: str | None = None,
    **detail: Any,
) -> None:
    """Record one event (a hold, an erasure, a key rotation ...) in the access log, now."""
    audit.record(
        AccessEntry(
            at=utcnow(),
            actor=actor,
            actor_kind=actor_kind,
            action=action,
            result=result,
            account_id=account_id,
            address=address,
            recording_id=recording_id,
            call_id=call_id,
            detail=detail,
        )
    )
