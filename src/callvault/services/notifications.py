"""Webhooks as durable jobs: enqueued in the caller's transaction, delivered by a worker."""

from __future__ import annotations

from sqlalchemy import Connection

from callvault.domain.jobs import WEBHOOK_JOB
from callvault.domain.timefmt import utcnow
from callvault.store import jobs_repo
from callvault.webhooks.delivery import WebhookRequest

WEBHOOK_JOB_ATTEMPTS = 3


def enqueue_webhook(conn: Connection, request: WebhookRequest) -> int:
    """The webhook job, in the caller's transaction.

    Delivery retries live inside one attempt of the job (Bandwidth's policy); a crashed worker's job
    is redone after its lease, so a webhook is delivered at least once.
    """
    return jobs_repo.enqueue(
        conn, WEBHOOK_JOB, request.to_payload(), now=utcnow(), max_attempts=WEBHOOK_JOB_ATTEMPTS
    )
