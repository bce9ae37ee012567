"""SQL for what operators watch: stored recordings and bytes, the job queue, webhook outcomes, live calls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from callvault.store.tables import calls, jobs, recordings, webhook_attempts


def recordings_stored(conn: Connection) -> tuple[int, int]:
    """(recordings, bytes of media they name)."""
    count, size = conn.execute(
        select(func.count(), func.coalesce(func.sum(recordings.c.media_size), 0))
    ).one()
    return int(count), int(size)


def oldest_queued_by_kind(conn: Connection) -> dict[str, datetime]:
    """For each job kind with queued jobs, when its oldest queued job was created."""
    query = (
        select(jobs.c.kind, func.min(jobs.c.created_at)).where(jobs.c.state == "queued").group_by(jobs.c.kind)
    )
    return {kind: oldest for kind, oldest in conn.execute(query)}


def webhook_attempts_by_outcome(conn: Connection) -> dict[tuple[str, str], int]:
    """(event type, outcome) -> attempts recorded."""
    query = select(webhook_attempts.c.event_type, webhook_attempts.c.outcome, func.count()).group_by(
        webhook_attempts.c.event_type, webhook_attempts.c.outcome
    )
    return {(event, outcome): count for event, outcome, count in conn.execute(query)}


def live_calls(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).where(calls.c.state == "active")).scalar_one())
