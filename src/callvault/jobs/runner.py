"""The job loop: claim with a lease, run the handler, keep the lease alive, complete or retry.

The same code runs as threads inside `callvault serve` and as `callvault worker` processes. A
process killed mid-job loses nothing: its lease expires and another worker claims the job again, so
every handler must be idempotent.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta

from callvault.domain.jobs import job_retry_delay
from callvault.domain.records import Job
from callvault.domain.timefmt import utcnow
from callvault.store import jobs_repo
from callvault.store.database import MetadataStore

log = logging.getLogger("callvault.jobs")

JobHandler = Callable[[Job], None]


class RetryLater(Exception):
    """Raised by a handler that wants another attempt after `seconds`."""

    def __init__(self, reason: str, seconds: float) -> None:
        super().__init__(reason)
        self.seconds = seconds


class GiveUp(Exception):
    """Raised by a handler whose job can never succeed; it is marked failed at once."""


class _LeaseKeeper:
    """Extends a running job's lease every third of its length until stopped."""

    def __init__(self, store: MetadataStore, job_id: int, owner: str, lease_seconds: float) -> None:
        self._store, self._job_id, self._owner, self._lease = store, job_id, owner, lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._lease / 3):
            try:
                with self._store.write() as conn:
                    until = utcnow() + timedelta(seconds=self._lease)
                    jobs_repo.extend_lease(conn, self._job_id, owner=self._owner, until=until)
            except Exception:
                log.exception("could not extend the lease of job %s", self._job_id)


class JobRunner:
    def __init__(
        self,
        store: MetadataStore,
        handlers: Mapping[str, JobHandler],
        *,
        threads: int = 2,
        lease_seconds: float = 60.0,
        poll_seconds: float = 0.2,
        name: str = "worker",
    ) -> None:
        self._store = store
        self._handlers = dict(handlers)
        self._threads_wanted = threads
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._owner_prefix = f"{name}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for index in range(self._threads_wanted):
            thread = threading.Thread(target=self._loop, args=(index,), name=f"jobs-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def run_until_idle(self, max_jobs: int = 1000) -> int:
        """Run due jobs on the calling thread until none is left (CLI and tests)."""
        done = 0
        while done < max_jobs and self.run_one(f"{self._owner_prefix}/inline"):
            done += 1
        return done

    def _loop(self, index: int) -> None:
        owner = f"{self._owner_prefix}/{index}"
        while not self._stop.is_set():
            try:
                worked = self.run_one(owner)
            except Exception:
                log.exception("job loop error")
                worked = False
            if not worked:
                self._stop.wait(self._poll)

    def run_one(self, owner: str) -> bool:
        kinds = list(self._handlers)
        if not jobs_repo.has_runnable(self._store, now=utcnow(), kinds=kinds):
            return False
        with self._store.write() as conn:
            job = jobs_repo.claim_next(
                conn, owner=owner, now=utcnow(), lease_seconds=self._lease, kinds=kinds
            )
        if job is None:
            return False
        self._execute(job, owner)
        return True

    def _execute(self, job: Job, owner: str) -> None:
        handler = self._handlers[job.kind]
        try:
            with _LeaseKeeper(self._store, job.id, owner, self._lease):
                handler(job)
        except RetryLater as exc:
            self._fail(job, owner, str(exc), exc.seconds)
        except GiveUp as exc:
            self._fail(job, owner, str(exc), None)
        except Exception as exc:
            log.exception("job %s (%s) failed on attempt %s", job.id, job.kind, job.attempts)
            self._fail(job, owner, f"{type(exc).__name__}: {exc}", job_retry_delay(job.attempts))
        else:
            with self._store.write() as conn:
                jobs_repo.complete(conn, job.id, owner=owner, now=utcnow())

    def _fail(self, job: Job, owner: str, error: str, retry_in: float | None) -> None:
        with self._store.write() as conn:
            jobs_repo.fail(conn, job, owner=owner, now=utcnow(), error=error, retry_in=retry_in)
