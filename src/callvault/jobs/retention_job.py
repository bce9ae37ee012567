"""The retention job: apply the accounts' retention policies, count what went, plan the next run."""

from __future__ import annotations

from callvault.domain.records import Job
from callvault.jobs.runner import JobHandler
from callvault.services.container import Services
from callvault.services.retention import run_retention, schedule_retention


def make_retention_handler(services: Services) -> JobHandler:
    settings = services.settings

    def count(stage: str, number: int) -> None:
        services.telemetry.retention_removed.labels(stage=stage).inc(number)

    def handle(job: Job) -> None:
        run_retention(services.store, grace_seconds=settings.purge_grace, on_removed=count)
        schedule_retention(services.store, delay_seconds=settings.retention_interval)

    return handle
