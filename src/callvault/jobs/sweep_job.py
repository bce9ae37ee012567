"""The media sweep job: remove what killed processes left in the media store, then plan the next sweep."""

from __future__ import annotations

from callvault.domain.records import Job
from callvault.jobs.runner import JobHandler
from callvault.services.container import Services
from callvault.services.media_sweep import schedule_sweep, sweep_media


def make_sweep_handler(services: Services) -> JobHandler:
    age = services.settings.sweep_age

    def handle(job: Job) -> None:
        sweep_media(services.store, services.blobs, older_than_seconds=age)
        schedule_sweep(services.store, delay_seconds=age)

    return handle
