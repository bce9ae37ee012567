"""`callvault keys rotate`: a new master key re-wraps every server-held data key; media is not touched.

Resumable: a run that finds data keys still wrapped by an older key finishes their re-wrap under the
current key first (no new key); a run that finds none starts a rotation with a new key. The key file
keeps the older keys until every data key is re-wrapped, then holds only the new one. Running servers
re-read the key file when it changes, so they unwrap and wrap with the new key without a restart; the
rotation waits ``settle_seconds`` and re-wraps once more before dropping the old key, for a write that
a server began just before it saw the new file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from callvault.domain.timefmt import utcnow
from callvault.media.master_keys import MasterKey, MasterKeyError, MasterKeyRing, write_key_file
from callvault.services.media_keys import MASTER_KEY_ID
from callvault.store import media_keys_repo, system_settings_repo
from callvault.store.database import MetadataStore

BATCH = 200


@dataclass
class RotationReport:
    new_key_id: str
    started_new_key: bool
    rewrapped: int = 0
    pruned_key_ids: tuple[str, ...] = ()


def pending_rewraps(store: MetadataStore, ring: MasterKeyRing) -> int:
    with store.read() as conn:
        return media_keys_repo.count_not_wrapped_by(conn, ring.current.key_id)


def start_rotation(store: MetadataStore, ring: MasterKeyRing) -> bool:
    """Put a new master key first in the key file unless a rotation is under way; True when it did."""
    if pending_rewraps(store, ring):
        return False
    if ring.path is None:
        raise MasterKeyError(
            "the master keys come from CALLVAULT_MASTER_KEY and every data key is wrapped by its first key: "
            "put a new key first in CALLVAULT_MASTER_KEY (comma-separated), then run this again"
        )
    write_key_file(ring.path, [MasterKey.generate(), *ring.keys])
    ring.refresh()
    return True


def rewrap_all(store: MetadataStore, ring: MasterKeyRing, on_key: Callable[[], None] = lambda: None) -> int:
    """Re-wrap every data key some older master key wraps under the current one; how many it did."""
    current = ring.current
    done = 0
    while True:
        with store.read() as conn:
            rows = media_keys_repo.keys_not_wrapped_by(conn, current.key_id, BATCH)
        if not rows:
            return done
        with store.write() as conn:
            for row in rows:
                assert row.master_key_id is not None and row.master_wrapped is not None
                data_key = ring.unwrap(row.master_key_id, row.master_wrapped, row.blob_key)
                key_id, wrapped = ring.wrap(data_key, row.blob_key)
                if media_keys_repo.rewrap_key(conn, row.blob_key, row.master_key_id, key_id, wrapped):
                    done += 1
                on_key()


def finish_rotation(
    store: MetadataStore, ring: MasterKeyRing, settle_seconds: float
) -> tuple[int, tuple[str, ...]]:
    """Record the new key, catch late writes, then drop the older keys from the key file."""
    current = ring.current
    with store.write() as conn:
        system_settings_repo.put(conn, MASTER_KEY_ID, current.key_id, utcnow())
    time.sleep(settle_seconds)
    late = rewrap_all(store, ring)
    old = tuple(key_id for key_id in ring.key_ids if key_id != current.key_id)
    if ring.path is not None and old and pending_rewraps(store, ring) == 0:
        write_key_file(ring.path, [current])
        ring.refresh()
        return late, old
    return late, ()
