"""Legal holds: place, list, release, and the one guard every removal of recorded data goes through.

A hold names a recording, a call (every recording of it, now and later) or a phone number (every
recording from or to it, now and later). While a hold is active, nothing removes or alters what it
covers: not the API's or the console's deletes, not retention, not erasure, not redaction's
replacement of the original audio. `refuse_if_held` is that guard.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from callvault.domain.errors import Conflict, NotFound, ValidationFailed
from callvault.domain.governance import LegalHold, hold_reason, hold_target, new_hold_id
from callvault.domain.records import Recording
from callvault.domain.timefmt import utcnow
from callvault.services.governance_hooks import Actor, record_audit, require_permission
from callvault.store import calls_repo, governance_repo, recordings_repo
from callvault.store.database import MetadataStore


class RecordingHeld(Conflict):
    """A removal refused because legal holds cover the recording (409, naming the holds)."""

    def __init__(self, recording: Recording, holds: list[LegalHold]) -> None:
        names = ", ".join(f"{hold.hold_id} ({hold.kind} {hold.target}: {hold.reason[:80]})" for hold in holds)
        super().__init__(f"Recording {recording.recording_id} is under legal hold: {names}")
        self.holds = holds


def refuse_if_held(conn: Connection, recording: Recording) -> None:
    """Raise RecordingHeld when an active hold covers the recording."""
    holds = governance_repo.holds_covering(conn, recording)
    if holds:
        raise RecordingHeld(recording, holds)


def place_hold(store: MetadataStore, actor: Actor, account_id: str, body: Any) -> LegalHold:
    """A new hold from `{"type": "recording"|"call"|"number", "target": ..., "reason": ...}`; 404 (and
    nothing stored) for a recording or call the account does not have."""
    require_permission(actor, account_id, "hold.place")
    if not isinstance(body, dict):
        raise ValidationFailed(
            'Invalid hold: a JSON object {"type": "recording"|"call"|"number", "target", "reason"}'
        )
    kind, target = hold_target(body.get("type"), body.get("target"))
    hold = LegalHold(
        hold_id=new_hold_id(),
        account_id=account_id,
        kind=kind,
        target=target,
        reason=hold_reason(body.get("reason")),
        placed_by=actor.name,
        placed_at=utcnow(),
    )
    with store.write() as conn:
        if kind == "recording" and not recordings_repo.recording_exists(conn, account_id, target):
            raise NotFound(f"Recording {target} not found in account {account_id}: no hold was placed")
        if kind == "call" and not (
            calls_repo.get_call(conn, account_id, target)
            or recordings_repo.list_call_recordings(conn, account_id, target)
        ):
            raise NotFound(f"Call {target} not found in account {account_id}: no hold was placed")
        governance_repo.insert_hold(conn, hold)
    record_audit(actor, account_id, "hold.place", hold.hold_id, "ok", kind=kind, held=target)
    return hold


def list_holds(store: MetadataStore, actor: Actor, account_id: str, *, active_only: bool) -> list[LegalHold]:
    require_permission(actor, account_id, "hold.read")
    with store.read() as conn:
        return governance_repo.list_holds(conn, account_id, active_only=active_only)


def get_hold(store: MetadataStore, actor: Actor, account_id: str, hold_id: str) -> LegalHold:
    require_permission(actor, account_id, "hold.read")
    with store.read() as conn:
        hold = governance_repo.get_hold(conn, account_id, hold_id)
    if hold is None:
        raise NotFound(f"Legal hold {hold_id[:64]} not found in account {account_id}")
    return hold


def release_hold(store: MetadataStore, actor: Actor, account_id: str, hold_id: str, reason: Any) -> LegalHold:
    """End a hold (kept, with who released it, when and why); 409 if it was already released."""
    require_permission(actor, account_id, "hold.release")
    why = hold_reason(reason)
    with store.write() as conn:
        hold = governance_repo.get_hold(conn, account_id, hold_id)
        if hold is None:
            raise NotFound(f"Legal hold {hold_id[:64]} not found in account {account_id}")
        if not governance_repo.release_hold(conn, account_id, hold_id, actor.name, why, utcnow()):
            raise Conflict(f"Legal hold {hold_id} was already released")
        released = governance_repo.get_hold(conn, account_id, hold_id)
    assert released is not None
    record_audit(actor, account_id, "hold.release", hold_id, "ok", reason=why)
    return released
