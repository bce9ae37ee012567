"""The job runner on a real SQLite file: retries, giving up, the backoff after a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from callvault.domain.jobs import job_retry_delay
from callvault.domain.records import Job
from callvault.domain.timefmt import utcnow
from callvault.jobs.runner import GiveUp, JobRunner, RetryLater
from callvault.store import jobs_repo
from callvault.store.database import MetadataStore


@pytest.fixture()
def store(tmp_path: Path) -> MetadataStore:
    store = MetadataStore(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    store.upgrade_schema()
    return store


def _enqueue(store: MetadataStore, kind: str = "k", **payload: object) -> int:
    with store.write() as conn:
        return jobs_repo.enqueue(conn, kind, dict(payload), now=utcnow())


def test_runner_retries_then_succeeds_and_gives_up(store: MetadataStore) -> None:
    calls: dict[str, int] = {"flaky": 0}

    def flaky(job: Job) -> None:
        calls["flaky"] += 1
        if calls["flaky"] < 2:
            raise RetryLater("not yet", 0)

    def hopeless(job: Job) -> None:
        raise GiveUp("never")

    flaky_id = _enqueue(store, "flaky")
    hopeless_id = _enqueue(store, "hopeless")
    runner = JobRunner(store, {"flaky": flaky, "hopeless": hopeless}, threads=0)
    runner.run_until_idle()
    with store.read() as conn:
        flaky_job = jobs_repo.get_job(conn, flaky_id)
        hopeless_job = jobs_repo.get_job(conn, hopeless_id)
    assert flaky_job is not None and flaky_job.state == "done" and flaky_job.attempts == 2
    assert hopeless_job is not None and hopeless_job.state == "failed" and hopeless_job.last_error == "never"


def test_an_unexpected_failure_is_retried_after_the_backoff(store: MetadataStore) -> None:
    def broken(job: Job) -> None:
        raise RuntimeError("boom")

    job_id = _enqueue(store, "broken")
    before = utcnow()
    JobRunner(store, {"broken": broken}, threads=0).run_until_idle()
    with store.read() as conn:
        job = jobs_repo.get_job(conn, job_id)
    assert job is not None and job.state == "queued" and job.attempts == 1
    assert job.last_error == "RuntimeError: boom"
    assert (job.run_after - before).total_seconds() >= job_retry_delay(1)


def test_the_retry_delay_doubles_up_to_five_minutes() -> None:
    assert [job_retry_delay(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert job_retry_delay(20) == 300.0
