"""Erasure of a phone number's recordings (GDPR Art. 17), with a stored receipt.

Every recording of the account from or to the number loses its media (and a redacted recording's kept
original), its transcript, its search-index entries and its cached waveform; what a legal hold covers
is kept and listed in the receipt with the holds. The recording rows stay (ids, times, numbers: the
Bandwidth metadata), so the receipt can name them. The receipt keeps a hash of the number, never the
number. Batches of one transaction each; running it again erases nothing twice.
"""

from __future__ import annotations

from typing import Any

from callvault.domain.errors import NotFound, ValidationFailed
from callvault.domain.governance import (
    ErasureReceipt,
    new_receipt_id,
    normalize_number,
    number_fingerprint,
    number_hint,
)
from callvault.domain.timefmt import utcnow
from callvault.services.governance_hooks import Actor, record_audit, require_permission
from callvault.services.recordings import enqueue_purge
from callvault.store import governance_repo, recordings_repo
from callvault.store.database import MetadataStore

BATCH = 200


def parse_number(body: Any) -> str:
    if not isinstance(body, dict) or "number" not in body or not isinstance(body["number"], str):
        raise ValidationFailed('Invalid erasure request: a JSON object {"number": "+19195551234"}')
    return normalize_number(body["number"])


def erase_number(
    store: MetadataStore, actor: Actor, account_id: str, number: str, *, grace_seconds: float
) -> ErasureReceipt:
    """Erase what the account recorded of `number`; 404 (nothing changed, no receipt) when no
    recording involves it."""
    require_permission(actor, account_id, "recording.erase")
    number = normalize_number(number)
    receipt = ErasureReceipt(
        receipt_id=new_receipt_id(),
        account_id=account_id,
        number_hint=number_hint(number),
        requested_by=actor.name,
        created_at=utcnow(),
    )
    after_id = 0
    while True:
        with store.write() as conn:
            batch = governance_repo.recordings_of_number(
                conn, account_id, number, after_id=after_id, limit=BATCH
            )
            for recording in batch:
                holds = governance_repo.holds_covering(conn, recording)
                if holds:
                    receipt.held[recording.recording_id] = [hold.hold_id for hold in holds]
                    continue
                if recording.media_keys:
                    recordings_repo.clear_media(conn, account_id, recording.recording_id)
                    for key in recording.media_keys:
                        enqueue_purge(conn, key, grace_seconds)
                    receipt.media_removed += 1
                if recordings_repo.delete_transcription(conn, account_id, recording.recording_id):
                    receipt.transcripts_removed += 1
                receipt.erased.append(recording.recording_id)
        if len(batch) < BATCH:
            break
        after_id = batch[-1].id or after_id
    if not receipt.erased and not receipt.held:
        record_audit(actor, account_id, "recording.erase", receipt.number_hint, "not-found")
        raise NotFound(f"No recording in account {account_id} is from or to {number}: nothing was erased")
    with store.write() as conn:
        governance_repo.insert_receipt(conn, receipt, number_fingerprint(number))
    record_audit(
        actor,
        account_id,
        "recording.erase",
        receipt.receipt_id,
        "ok",
        erased=len(receipt.erased),
        held=len(receipt.held),
    )
    return receipt


def get_receipt(store: MetadataStore, actor: Actor, account_id: str, receipt_id: str) -> ErasureReceipt:
    require_permission(actor, account_id, "erasure.read")
    with store.read() as conn:
        receipt = governance_repo.get_receipt(conn, account_id, receipt_id)
    if receipt is None:
        raise NotFound(f"Erasure receipt {receipt_id[:64]} not found in account {account_id}")
    return receipt


def list_receipts(store: MetadataStore, actor: Actor, account_id: str) -> list[ErasureReceipt]:
    require_permission(actor, account_id, "erasure.read")
    with store.read() as conn:
        return governance_repo.list_receipts(conn, account_id)
