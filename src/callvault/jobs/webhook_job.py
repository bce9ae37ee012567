"""The webhook job: deliver one webhook and record every attempt."""

from __future__ import annotations

from callvault.domain.records import Job
from callvault.jobs.runner import GiveUp, JobHandler
from callvault.store import jobs_repo
from callvault.store.database import MetadataStore
from callvault.webhooks.delivery import AttemptCallback, DeliveryAttempt, WebhookRequest, deliver
from callvault.webhooks.destinations import DestinationPolicy


def attempt_recorder(store: MetadataStore, job: Job, event_type: str, url: str) -> AttemptCallback:
    """Records each delivery attempt of `job` as soon as it ends."""

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


def deliver_or_give_up(
    store: MetadataStore, policy: DestinationPolicy, job: Job, request: WebhookRequest, event_type: str
) -> bytes:
    """Deliver `request` (recording every attempt); GiveUp when it was not delivered. The response body."""
    result = deliver(request, policy=policy, on_attempt=attempt_recorder(store, job, event_type, request.url))
    if not result.delivered:
        raise GiveUp(f"{event_type} to {request.url} was not delivered after {len(result.attempts)} attempts")
    return result.response_body or b""


def make_webhook_handler(store: MetadataStore, policy: DestinationPolicy) -> JobHandler:
    def handle(job: Job) -> None:
        request = WebhookRequest.from_payload(job.payload)
        deliver_or_give_up(store, policy, job, request, request.event_type)

    return handle
