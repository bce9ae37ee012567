"""A data-key source held in memory, for encrypted blob stores outside a server (the real one,
services/media_keys, keeps the keys wrapped in the database)."""

from __future__ import annotations

from callvault.media.encrypted import StoredKey


class DictKeys:
    def __init__(self) -> None:
        self.keys: dict[str, StoredKey] = {}

    def create(self, blob_key: str, data_key: bytes) -> None:
        self.keys[blob_key] = StoredKey(data_key)

    def lookup(self, blob_key: str) -> StoredKey | None:
        return self.keys.get(blob_key)

    def forget(self, blob_key: str) -> None:
        self.keys.pop(blob_key, None)
