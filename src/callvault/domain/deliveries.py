"""A webhook delivery as the console shows it: the queued job and every attempt made so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class WebhookAttempt:
    number: int
    started_at: datetime
    duration_ms: float
    outcome: str
    status_code: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class WebhookDelivery:
    """`state` is the job's (queued, running, done, failed); `attempts` oldest first."""

    job_id: int
    event_type: str
    url: str
    state: str
    created_at: datetime
    attempts: tuple[WebhookAttempt, ...] = field(default_factory=tuple)
