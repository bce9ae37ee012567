"""What operators watch: the job queue by kind and state."""

from __future__ import annotations

from callvault.store import jobs_repo
from callvault.store.database import MetadataStore


def job_counts(store: MetadataStore) -> dict[tuple[str, str], int]:
    """How many jobs there are of each (kind, state)."""
    with store.read() as conn:
        return jobs_repo.count_by_state(conn)
