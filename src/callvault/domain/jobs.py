"""The kinds of durable job, and how long a failed one waits before its next attempt."""

from __future__ import annotations

from callvault.domain.backoff import exponential_backoff

PURGE_MEDIA_JOB = "purge_media"
"""Remove a media blob that no recording names any more (after the purge grace)."""
SWEEP_MEDIA_JOB = "sweep_media"
"""Remove what crashes left in the media store (temp files, blobs no row names); runs again later."""
RETENTION_JOB = "retention"
"""Apply the accounts' retention policies (skipping held recordings); runs again later."""
TRANSCRIBE_JOB = "transcribe"
"""Run the speech engine on a recording, then send `transcriptionAvailable`."""
WEBHOOK_JOB = "webhook"
"""Deliver one webhook (recordingAvailable, transcriptionAvailable)."""
ANSWER_JOB = "answer"
"""Deliver a call's `answer` webhook, then execute the recording verbs of its BXML."""

JOB_RETRY_CAP_SECONDS = 300.0


def job_retry_delay(attempts: int) -> float:
    """The wait before a job that failed on attempt `attempts` (1-based) runs again: 1, 2, 4 … 300 s."""
    return exponential_backoff(attempts - 1, 1.0, JOB_RETRY_CAP_SECONDS)
