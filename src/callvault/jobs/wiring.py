"""Which handler runs which job kind."""

from __future__ import annotations

from callvault.domain.jobs import (
    ANSWER_JOB,
    PURGE_MEDIA_JOB,
    RETENTION_JOB,
    SWEEP_MEDIA_JOB,
    TRANSCRIBE_JOB,
    WEBHOOK_JOB,
)
from callvault.domain.records import Job
from callvault.jobs.answer_job import make_answer_handler
from callvault.jobs.retention_job import make_retention_handler
from callvault.jobs.runner import JobHandler
from callvault.jobs.sweep_job import make_sweep_handler
from callvault.jobs.transcribe_job import make_transcribe_handler
from callvault.jobs.webhook_job import make_webhook_handler
from callvault.services.container import Services
from callvault.services.recordings import purge_media


def build_handlers(services: Services) -> dict[str, JobHandler]:
    def purge(job: Job) -> None:
        purge_media(services.blobs, job.payload["media_key"])

    return {
        PURGE_MEDIA_JOB: purge,
        SWEEP_MEDIA_JOB: make_sweep_handler(services),
        RETENTION_JOB: make_retention_handler(services),
        TRANSCRIBE_JOB: make_transcribe_handler(services),
        WEBHOOK_JOB: make_webhook_handler(services.store, services.callback_policy),
        ANSWER_JOB: make_answer_handler(services),
    }
