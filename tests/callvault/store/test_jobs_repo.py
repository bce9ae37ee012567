"""The job queue's SQL on a real SQLite file: claims, leases, delays, concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from callvault.domain.timefmt import utcnow
from callvault.store import jobs_repo, migrate
from callvault.store.database import MetadataStore


@pytest.fixture()
def store(tmp_path: Path) -> MetadataStore:
    store = MetadataStore(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    store.upgrade_schema()
    return store


def _enqueue(store: MetadataStore, kind: str = "k", **payload: object) -> int:
    with store.write() as conn:
        return jobs_repo.enqueue(conn, kind, dict(payload), now=utcnow())


def test_schema_is_at_head_and_a_newer_one_is_refused(store: MetadataStore) -> None:
    assert migrate.current_revision(store.engine) == migrate.head_revision(store.url)
    with store.write() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(migrate.SchemaTooNew, match="9999"):
        store.upgrade_schema()


def test_claim_leases_once_and_expired_lease_is_reclaimed(store: MetadataStore) -> None:
    job_id = _enqueue(store)
    now = utcnow()
    with store.write() as conn:
        first = jobs_repo.claim_next(conn, owner="a", now=now, lease_seconds=10)
    with store.write() as conn:
        assert jobs_repo.claim_next(conn, owner="b", now=now, lease_seconds=10) is None
    with store.write() as conn:
        again = jobs_repo.claim_next(conn, owner="b", now=now + timedelta(seconds=11), lease_seconds=10)
    assert first is not None and again is not None
    assert first.id == again.id == job_id
    assert again.attempts == 2 and again.lease_owner == "b"
    with store.write() as conn:
        assert not jobs_repo.complete(conn, job_id, owner="a", now=now), "a stale owner cannot complete"
        assert jobs_repo.complete(conn, job_id, owner="b", now=now)


def test_concurrent_claimers_never_share_a_job(store: MetadataStore) -> None:
    ids = {_enqueue(store, n=i) for i in range(60)}
    claimed: list[int] = []
    lock = threading.Lock()

    def claim(owner: str) -> None:
        while True:
            with store.write() as conn:
                job = jobs_repo.claim_next(conn, owner=owner, now=utcnow(), lease_seconds=60)
            if job is None:
                return
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)


def test_delayed_job_waits_for_its_time(store: MetadataStore) -> None:
    with store.write() as conn:
        jobs_repo.enqueue(conn, "k", {}, now=utcnow(), delay_seconds=3600)
    with store.write() as conn:
        assert jobs_repo.claim_next(conn, owner="a", now=utcnow(), lease_seconds=10) is None
