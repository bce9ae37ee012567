"""SQL for the durable job queue and the webhook attempt log."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Connection, and_, bindparam, func, insert, or_, select, update

from callvault.domain.deliveries import WebhookAttempt, WebhookDelivery
from callvault.domain.records import Job
from callvault.store.database import DriverSelect, MetadataStore
from callvault.store.tables import jobs, webhook_attempts

_JOB_FIELDS = {f.name for f in dataclasses.fields(Job)}


def _job(row: Any) -> Job:
    return Job(**{k: v for k, v in row._mapping.items() if k in _JOB_FIELDS})


def enqueue(
    conn: Connection,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    delay_seconds: float = 0.0,
    max_attempts: int = 5,
) -> int:
    result = conn.execute(
        insert(jobs).values(
            kind=kind,
            payload=payload,
            state="queued",
            attempts=0,
            max_attempts=max_attempts,
            run_after=now + timedelta(seconds=delay_seconds),
            created_at=now,
            updated_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def enqueue_once(
    conn: Connection, kind: str, payload: dict[str, Any], *, now: datetime, delay_seconds: float
) -> None:
    """Enqueue a job of ``kind`` to run within ``delay_seconds``, unless one is queued already; a
    queued one that would run later is brought forward."""
    run_after = now + timedelta(seconds=delay_seconds)
    queued = conn.execute(
        select(jobs.c.id, jobs.c.run_after).where(jobs.c.kind == kind, jobs.c.state == "queued").limit(1)
    ).first()
    if queued is None:
        enqueue(conn, kind, payload, now=now, delay_seconds=delay_seconds)
    elif queued.run_after > run_after:
        conn.execute(update(jobs).where(jobs.c.id == queued.id).values(run_after=run_after, updated_at=now))


def _runnable(now: datetime | BindParameter[datetime]) -> Any:
    return or_(
        and_(jobs.c.state == "queued", jobs.c.run_after <= now),
        and_(jobs.c.state == "running", jobs.c.lease_expires_at < now),
    )


_HAS_RUNNABLE = select(jobs.c.id).where(_runnable(bindparam("now", type_=jobs.c.run_after.type))).limit(1)
_HAS_RUNNABLE_OF_KINDS: dict[int, DriverSelect] = {}
"""By the number of kinds asked for (``kind_0``, ``kind_1``, ...), built once and run on the driver's
cursor: every worker thread of every process asks this several times a second, idle or not."""


def has_runnable(store: MetadataStore, *, now: datetime, kinds: Sequence[str]) -> bool:
    """A cheap read (no write lock, no transaction) that tells whether claim_next could find a job
    of one of `kinds` (of any kind when none are given)."""
    if len(kinds) not in _HAS_RUNNABLE_OF_KINDS:
        query = _HAS_RUNNABLE
        if kinds:
            query = query.where(or_(*(jobs.c.kind == bindparam(f"kind_{i}") for i in range(len(kinds)))))
        _HAS_RUNNABLE_OF_KINDS[len(kinds)] = DriverSelect(query)
    parameters = {"now": now} | {f"kind_{index}": kind for index, kind in enumerate(kinds)}
    return store.first_row(_HAS_RUNNABLE_OF_KINDS[len(kinds)], parameters) is not None


def claim_next(
    conn: Connection, *, owner: str, now: datetime, lease_seconds: float, kinds: list[str] | None = None
) -> Job | None:
    """Lease the oldest runnable job: queued and due, or running with an expired lease."""
    runnable = _runnable(now)
    candidate = select(jobs.c.id).where(runnable)
    if kinds:
        candidate = candidate.where(jobs.c.kind.in_(kinds))
    candidate = candidate.order_by(jobs.c.run_after, jobs.c.id).limit(1).with_for_update(skip_locked=True)
    row = conn.execute(candidate).first()
    if row is None:
        return None
    claimed = conn.execute(
        update(jobs)
        .where(jobs.c.id == row.id, runnable)
        .values(
            state="running",
            attempts=jobs.c.attempts + 1,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
    )
    if claimed.rowcount != 1:
        return None
    return _job(conn.execute(select(jobs).where(jobs.c.id == row.id)).one())


def extend_lease(conn: Connection, job_id: int, *, owner: str, until: datetime) -> bool:
    result = conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.lease_owner == owner, jobs.c.state == "running")
        .values(lease_expires_at=until)
    )
    return result.rowcount == 1


def complete(conn: Connection, job_id: int, *, owner: str, now: datetime) -> bool:
    result = conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.lease_owner == owner)
        .values(state="done", lease_owner=None, lease_expires_at=None, updated_at=now)
    )
    return result.rowcount == 1


def fail(
    conn: Connection, job: Job, *, owner: str, now: datetime, error: str, retry_in: float | None
) -> None:
    """Retry after `retry_in` seconds while attempts remain, else mark the job failed for good."""
    final = retry_in is None or job.attempts >= job.max_attempts
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job.id, jobs.c.lease_owner == owner)
        .values(
            state="failed" if final else "queued",
            run_after=now if final else now + timedelta(seconds=retry_in or 0),
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
            last_error=error[:4000],
        )
    )


def unfinished_payloads(conn: Connection, kind: str) -> list[dict[str, Any]]:
    """The payloads of the jobs of ``kind`` that are queued or running."""
    query = select(jobs.c.payload).where(jobs.c.kind == kind, jobs.c.state.in_(("queued", "running")))
    return [dict(row.payload) for row in conn.execute(query)]


def count_by_state(conn: Connection) -> dict[tuple[str, str], int]:
    query = select(jobs.c.kind, jobs.c.state, func.count()).group_by(jobs.c.kind, jobs.c.state)
    return {(kind, state): count for kind, state, count in conn.execute(query)}


def get_job(conn: Connection, job_id: int) -> Job | None:
    row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
    return _job(row) if row else None


def list_jobs(conn: Connection, kind: str | None = None) -> list[Job]:
    query = select(jobs).order_by(jobs.c.id)
    if kind:
        query = query.where(jobs.c.kind == kind)
    return [_job(row) for row in conn.execute(query)]


def record_webhook_attempt(conn: Connection, **values: Any) -> None:
    conn.execute(insert(webhook_attempts).values(**values))


def webhook_deliveries_for_recording(
    conn: Connection, recording_id: str, *, kind: str, since: datetime
) -> list[WebhookDelivery]:
    """The webhook jobs (of `kind`) whose callback body names the recording, created since `since`,
    oldest first, each with its attempts."""
    body = jobs.c.payload["body"]
    found = conn.execute(
        select(jobs.c.id, jobs.c.state, jobs.c.created_at, jobs.c.payload)
        .where(
            jobs.c.kind == kind, jobs.c.created_at >= since, body["recordingId"].as_string() == recording_id
        )
        .order_by(jobs.c.id)
    ).all()
    if not found:
        return []
    attempts: dict[int, list[WebhookAttempt]] = {}
    query = (
        select(webhook_attempts)
        .where(webhook_attempts.c.job_id.in_([row.id for row in found]))
        .order_by(webhook_attempts.c.id)
    )
    for row in conn.execute(query):
        attempts.setdefault(row.job_id, []).append(
            WebhookAttempt(
                number=row.number,
                started_at=row.started_at,
                duration_ms=row.duration_ms,
                outcome=row.outcome,
                status_code=row.status_code,
                error=row.error,
            )
        )
    return [
        WebhookDelivery(
            job_id=row.id,
            event_type=str(row.payload.get("body", {}).get("eventType", "unknown")),
            url=str(row.payload.get("url", "")),
            state=row.state,
            created_at=row.created_at,
            attempts=tuple(attempts.get(row.id, [])),
        )
        for row in found
    ]
