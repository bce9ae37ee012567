"""Durable webhook deliveries: enqueue in the caller's transaction, deliver from a worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from callvault.domain.records import Job
from callvault.domain.timefmt import utcnow
from callvault.jobs.runner import GiveUp
from callvault.store import jobs_repo
from callvault.store.database import MetadataStore
from callvault.webhooks.delivery import DeliveryAttempt, WebhookRequest, deliver

WEBHOOK_JOB = "webhook"


def enqueue_webhook(
    conn: Connection,
    *,
    url: str,
    method: str,
    body: dict[str, Any],
    username: str | None = None,
    password: str | None = None,
    timeout: float = 15.0,
) -> int:
    payload = {
        "url": url,
        "method": (method or "POST").upper(),
        "body": body,
        "username": username,
        "password": password,
        "timeout": timeout,
    }
    # Delivery retries live inside one attempt of the job (Bandwidth's policy); a crashed worker's
    # job is redone after its lease, so a webhook is delivered at least once.
    return jobs_repo.enqueue(conn, WEBHOOK_JOB, payload, now=utcnow(), max_attempts=3)


def _recorder(store: MetadataStore, job: Job, event_type: str, url: str) -> Any:
    def record(attempt: DeliveryAttempt) -> None:
        with store.write() as conn:
            jobs_repo.record_webhook_attempt(
                conn,
                job_id=job.id,
                event_type=event_type,
                url=url,
                number=attempt.number,
                started_at=attempt.started_at,
                duration_ms=attempt.duration_ms,
                status_code=attempt.status_code,
                error=attempt.error,
                outcome=attempt.outcome,
            )

    return record


def make_webhook_handler(store: MetadataStore) -> Any:
    def handle(job: Job) -> None:
        payload = job.payload
        request = WebhookRequest(
            url=payload["url"],
            method="GET" if payload["method"] == "GET" else "POST",
            body=payload["body"],
            username=payload.get("username"),
            password=payload.get("password"),
            timeout=float(payload.get("timeout") or 15.0),
        )
        event_type = str(payload["body"].get("eventType", "unknown"))
        result = deliver(request, on_attempt=_recorder(store, job, event_type, request.url))
        if not result.delivered:
            raise GiveUp(
                f"{event_type} to {request.url} was not delivered after {len(result.attempts)} attempts"
            )

    return handle
