"""The database engine's pool follows CALLVAULT_DATABASE_POOL_SIZE: a process holds at most twice that
many connections (the pool and its overflow), which is what an operator sizes max_connections by."""

from __future__ import annotations

from pathlib import Path

import pytest

from callvault.services.container import build_services
from callvault.settings import Settings


@pytest.mark.parametrize("pool_size", [3, 40])
def test_the_pool_follows_the_setting(tmp_path: Path, pool_size: int) -> None:
    services = build_services(Settings(data_dir=tmp_path, database_pool_size=pool_size))
    try:
        pool = services.store.engine.pool
        assert pool.size() == pool_size  # type: ignore[attr-defined]
        assert pool._max_overflow == pool_size  # type: ignore[attr-defined]
    finally:
        services.close()


def test_a_pool_size_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="database_pool_size"):
        Settings(database_pool_size=0)
