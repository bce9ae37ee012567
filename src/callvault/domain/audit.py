"""The access log's entries and its hash chain: what an entry holds, how it is hashed, and how a chain
is checked (pure; the store supplies the rows, the service the signature check).

Each entry's hash is SHA-256 over its fields and the previous entry's hash, as one JSON array (orjson),
so editing an entry changes its hash, and removing or reordering entries breaks the link of the entry
after them. The head of the chain (its last position and hash) is signed now and then (an anchor):
whoever rewrites the chain from some entry on cannot make the anchors after that entry valid again
without the signing key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from callvault.domain.timefmt import as_naive_utc

GENESIS_HASH = "0" * 64
"""The `prev_hash` of the first entry."""


class Action:
    """What an entry records (the permission word of the request it records, or one of these)."""

    SIGN_IN_FAILED = "sign-in-failed"
    OPERATOR = "operator"


class ActorKind:
    USER = "user"
    CREDENTIAL = "credential"
    OPERATOR = "operator"  # the command line, with access to the database itself
    UNKNOWN = "unknown"  # a failed sign-in's claimed name


class AccessEntry(NamedTuple):
    """One thing that happened: who did what to which recording, from where, with what result.

    A named tuple, not a dataclass: one is made on every API request, and a frozen dataclass costs
    several times as much to make and to copy."""

    at: datetime
    actor: str
    actor_kind: str
    action: str
    result: str
    account_id: str | None = None
    address: str | None = None
    recording_id: str | None = None
    call_id: str | None = None
    detail: dict[str, Any] = {}  # shared by entries without one, and never changed

    def finished(self, result: str) -> AccessEntry:
        """The entry with its result (by position: half the cost of `_replace`)."""
        return AccessEntry._make((*self[:4], result, *self[5:]))


class ChainedEntry(NamedTuple):
    """An entry as stored: its position in the chain, the hash before it and its own (a named tuple,
    like `AccessEntry`: the writer makes one per entry)."""

    seq: int
    entry: AccessEntry
    prev_hash: str
    entry_hash: str
    detail_json: str | None = None  # the detail's stored text, when known


@dataclass(frozen=True)
class Anchor:
    """The chain's head at `seq`, signed."""

    seq: int
    entry_hash: str
    signed_at: datetime
    key_id: str
    signature: str


def canonical_time(value: datetime) -> str:
    """The one spelling of an entry's time (UTC, microseconds) that is hashed and read back."""
    return as_naive_utc(value).isoformat("T", "microseconds") + "+00:00"  # half an aware isoformat's cost


def detail_text(detail: dict[str, Any]) -> str:
    """The detail's one spelling (sorted keys, no spaces, UTF-8): stored as is, and hashed."""
    return orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode()


def entry_hash(seq: int, entry: AccessEntry, prev_hash: str, detail: str | None = None) -> str:
    """SHA-256 over the entry's fields, its detail's text (`detail`, when already made) and `prev_hash`."""
    body = (
        seq,
        canonical_time(entry.at),
        entry.actor,
        entry.actor_kind,
        entry.action,
        entry.result,
        entry.account_id,
        entry.address,
        entry.recording_id,
        entry.call_id,
        detail if detail is not None else detail_text(entry.detail),
        prev_hash,
    )
    return hashlib.sha256(orjson.dumps(body)).hexdigest()


def chain(entries: Iterable[AccessEntry], head_seq: int, head_hash: str) -> list[ChainedEntry]:
    """Link `entries` after the head at (`head_seq`, `head_hash`)."""
    linked = []
    seq, prev = head_seq, head_hash
    for entry in entries:
        seq += 1
        detail = detail_text(entry.detail)
        digest = entry_hash(seq, entry, prev, detail)
        linked.append(ChainedEntry(seq, entry, prev, digest, detail))
        prev = digest
    return linked


def anchor_message(seq: int, digest: str) -> bytes:
    """The bytes an anchor signs."""
    return f"callvault-access-log:{seq}:{digest}".encode()


@dataclass
class ChainReport:
    entries: int = 0
    anchors: int = 0
    last_seq: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


MAX_PROBLEMS = 50


def verify_chain(
    entries: Iterable[ChainedEntry],
    head: tuple[int, str],
    anchors: Iterable[Anchor],
    signature_ok: Callable[[Anchor], str | None],
) -> ChainReport:
    """Check stored entries (in seq order), the chain head and the anchors; `signature_ok` answers None
    for a good signature, else why not. Streams the entries: memory holds the anchors only."""
    report = ChainReport()
    by_seq: dict[int, Anchor] = {}
    for anchor in anchors:
        report.anchors += 1
        why = signature_ok(anchor)
        if why:
            _problem(report, f"anchor at entry {anchor.seq} ({canonical_time(anchor.signed_at)}): {why}")
        by_seq[anchor.seq] = anchor
    expected, prev = 1, GENESIS_HASH
    for stored in entries:
        report.entries += 1
        if stored.seq != expected:
            _problem(report, f"entries {expected}..{stored.seq - 1} are missing (removed)")
        elif stored.prev_hash != prev:
            _problem(
                report, f"entry {stored.seq} does not follow entry {stored.seq - 1} (removed or reordered)"
            )
        if entry_hash(stored.seq, stored.entry, stored.prev_hash, stored.detail_json) != stored.entry_hash:
            _problem(report, f"entry {stored.seq} was altered: its contents do not match its hash")
        signed = by_seq.pop(stored.seq, None)
        if signed is not None and signed.entry_hash != stored.entry_hash:
            _problem(
                report,
                f"entry {stored.seq} differs from the one signed at {canonical_time(signed.signed_at)}",
            )
        expected, prev = stored.seq + 1, stored.entry_hash
    report.last_seq = expected - 1
    for seq in sorted(by_seq):
        _problem(report, f"entry {seq} was signed at {canonical_time(by_seq[seq].signed_at)} but is missing")
    head_seq, head_hash = head
    if (head_seq, head_hash) != (report.last_seq, prev):
        _problem(
            report,
            f"the chain's head names entry {head_seq} but the log ends at entry {report.last_seq} "
            "(entries removed from the end, or the head was edited)",
        )
    return report


def _problem(report: ChainReport, text: str) -> None:
    if len(report.problems) < MAX_PROBLEMS:
        report.problems.append(text)
    elif len(report.problems) == MAX_PROBLEMS:
        report.problems.append("... more problems not shown")
