"""Reading the access log: entries by account, recording, actor and time (API, CLI, console), JSON
lines for export, and the check of the whole chain (`callvault audit verify`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from callvault.domain.audit import ChainedEntry, ChainReport, canonical_time, verify_chain
from callvault.domain.errors import ValidationFailed
from callvault.domain.ids import is_valid_id
from callvault.domain.timefmt import parse_iso_time
from callvault.services.audit_signing import AnchorChecker, load_or_create_private_key, load_public_key
from callvault.store import audit_repo
from callvault.store.audit_repo import EntryFilter
from callvault.store.database import MetadataStore

PAGE_LIMIT = 1000


@dataclass(frozen=True)
class EntryPage:
    entries: list[ChainedEntry]
    next_after: int | None  # the `after` of the next page; None when this is the last


def build_filter(
    account_id: str | None = None,
    *,
    recording_id: str | None = None,
    actor: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> EntryFilter:
    """A filter from caller text: times are ISO 8601; ValidationFailed for a malformed one."""
    if recording_id is not None and not is_valid_id(recording_id):
        raise ValidationFailed(f"Invalid recordingId {recording_id[:64]!r}")
    return EntryFilter(
        account_id=account_id,
        recording_id=recording_id,
        actor=actor or None,
        since=parse_iso_time(since, "from") if since else None,
        until=parse_iso_time(until, "to") if until else None,
    )


def parse_after(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not value.isdigit() or len(value) > 18:
        raise ValidationFailed(f"Invalid after {value[:32]!r}: use the seq of the last entry you have")
    return int(value)


def parse_limit(value: str | None) -> int:
    if value is None or value == "":
        return PAGE_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= PAGE_LIMIT:
        raise ValidationFailed(f"Invalid limit {value[:32]!r}: use 1..{PAGE_LIMIT}")
    return int(value)


def find(store: MetadataStore, flt: EntryFilter, *, after: int = 0, limit: int = PAGE_LIMIT) -> EntryPage:
    with store.read() as conn:
        found = audit_repo.find_entries(conn, flt, after_seq=after, limit=limit)
    return EntryPage(found, found[-1].seq if len(found) == limit else None)


def each(store: MetadataStore, flt: EntryFilter) -> Iterator[ChainedEntry]:
    """Every matching entry, oldest first, a page at a time (an export of any size in flat memory)."""
    after = 0
    while True:
        page = find(store, flt, after=after)
        yield from page.entries
        if page.next_after is None:
            return
        after = page.next_after


def entry_json(stored: ChainedEntry) -> dict[str, Any]:
    """An entry on the wire and in exports (camelCase, like the rest of the API)."""
    entry = stored.entry
    return {
        "seq": stored.seq,
        "time": canonical_time(entry.at),
        "accountId": entry.account_id,
        "actor": entry.actor,
        "actorKind": entry.actor_kind,
        "address": entry.address,
        "action": entry.action,
        "recordingId": entry.recording_id,
        "callId": entry.call_id,
        "result": entry.result,
        "detail": entry.detail,
        "prevHash": stored.prev_hash,
        "hash": stored.entry_hash,
    }


def json_lines(entries: Iterator[ChainedEntry]) -> Iterator[bytes]:
    for stored in entries:
        yield orjson.dumps(entry_json(stored)) + b"\n"


def verify(store: MetadataStore, key_file: Path, trusted_public_keys: list[Path] = []) -> ChainReport:  # noqa: B006
    """Check every entry, the head and every anchor against the local signing key and the given keys."""
    keys = [load_or_create_private_key(key_file).public_key()] if key_file.exists() else []
    keys += [load_public_key(path.read_bytes(), str(path)) for path in trusted_public_keys]
    checker = AnchorChecker(keys)
    # The head first: every entry up to it was committed with it, so appends that happen while this
    # reads (a live server) are simply not part of what is checked.
    with store.read() as conn:
        head = audit_repo.head(conn)
    with store.read() as conn:
        anchors = [anchor for anchor in audit_repo.anchors(conn) if anchor.seq <= head[0]]
    with store.read() as conn:
        return verify_chain(audit_repo.all_entries(conn, up_to=head[0]), head, anchors, checker)
