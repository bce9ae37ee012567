"""Retention: per-account policies and the sweep that removes what they say is too old.

Each account may set how many days a recording's media, transcript and whole row are kept (counted
from the recording's start). The `retention` job runs `run_retention` every
`CALLVAULT_RETENTION_INTERVAL` (and plans its next run); `callvault retention run [--dry-run]` runs it
by hand. It works in batches of one transaction each, skips whatever a legal hold covers, and is
idempotent: a second run finds nothing more to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from callvault.domain.governance import RETENTION_STAGES, RetentionPolicy
from callvault.domain.jobs import RETENTION_JOB
from callvault.domain.records import Recording
from callvault.domain.timefmt import utcnow
from callvault.services.governance_hooks import Actor, record_audit, require_permission
from callvault.services.recordings import remove_media, remove_recording, remove_transcription
from callvault.store import governance_repo, jobs_repo
from callvault.store.database import MetadataStore

log = logging.getLogger("callvault.retention")

POLICY = "retention"
BATCH = 200


def get_policy(store: MetadataStore, actor: Actor, account_id: str) -> RetentionPolicy:
    require_permission(actor, account_id, "policy.read")
    with store.read() as conn:
        stored = governance_repo.get_policy(conn, account_id, POLICY)
    return RetentionPolicy.parse(stored) if stored else RetentionPolicy()


def set_policy(store: MetadataStore, actor: Actor, account_id: str, body: Any) -> RetentionPolicy:
    """Replace the account's policy (every field null: keep everything forever)."""
    require_permission(actor, account_id, "policy.manage")
    policy = RetentionPolicy.parse(body)
    with store.write() as conn:
        governance_repo.put_policy(conn, account_id, POLICY, policy.to_json(), actor.name, utcnow())
    record_audit(actor, account_id, "policy.set", POLICY, "ok", **policy.to_json())
    return policy


@dataclass
class RetentionReport:
    """What one run removed (with `dry_run`: would remove), recording ids by stage."""

    dry_run: bool
    removed: dict[str, list[str]] = field(default_factory=lambda: {stage: [] for stage in RETENTION_STAGES})

    def count(self, stage: str) -> int:
        return len(self.removed[stage])

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return (
            f"retention {verb} {self.count('metadata')} recording(s), the media of {self.count('media')} "
            f"and the transcript of {self.count('transcript')}"
        )


def run_retention(
    store: MetadataStore,
    *,
    grace_seconds: float,
    dry_run: bool = False,
    account_id: str | None = None,
    now: datetime | None = None,
    on_removed: Callable[[str, int], None] | None = None,
) -> RetentionReport:
    """Apply every account's policy (or one account's); held recordings are never candidates."""
    now = now or utcnow()
    report = RetentionReport(dry_run=dry_run)
    with store.read() as conn:
        policies = governance_repo.accounts_with_policy(conn, POLICY)
    for account, stored in sorted(policies.items()):
        if account_id is not None and account != account_id:
            continue
        policy = RetentionPolicy.parse(stored)
        for stage in RETENTION_STAGES:
            days = policy.days(stage)
            if days is None:
                continue
            removed = _apply_stage(store, account, stage, now - timedelta(days=days), grace_seconds, dry_run)
            report.removed[stage].extend(removed)
            if removed and on_removed is not None and not dry_run:
                on_removed(stage, len(removed))
    log.info("%s", report.summary())
    return report


def _apply_stage(
    store: MetadataStore, account_id: str, stage: str, cut_off: datetime, grace_seconds: float, dry_run: bool
) -> list[str]:
    removed: list[str] = []
    after_id = 0
    while True:
        with store.write() as conn:
            batch = governance_repo.retention_candidates(
                conn, account_id, stage, cut_off, after_id=after_id, limit=BATCH
            )
            if not dry_run:
                for recording in batch:
                    _remove(conn, recording, stage, grace_seconds)
        for recording in batch:
            log.info(
                "retention: %s %s of recording %s (account %s, started %s)",
                "would remove" if dry_run else "removed",
                stage,
                recording.recording_id,
                account_id,
                recording.start_time.isoformat(),
            )
        removed.extend(recording.recording_id for recording in batch)
        if len(batch) < BATCH:
            return removed
        after_id = batch[-1].id or after_id


def _remove(conn: Any, recording: Recording, stage: str, grace_seconds: float) -> None:
    if stage == "metadata":
        remove_recording(conn, recording, grace_seconds)
    elif stage == "media":
        remove_media(conn, recording, grace_seconds)
    else:
        remove_transcription(conn, recording)


def schedule_retention(store: MetadataStore, *, delay_seconds: float) -> None:
    """Make sure a retention job runs within `delay_seconds` (one queued at a time)."""
    with store.write() as conn:
        jobs_repo.enqueue_once(conn, RETENTION_JOB, {}, now=utcnow(), delay_seconds=delay_seconds)
