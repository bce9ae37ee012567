"""Live calls: state and recording control."""

from __future__ import annotations

from callvault.domain.errors import NotFound, ValidationFailed
from callvault.services.container import Services
from callvault.store import calls_repo


def set_recording_state(services: Services, account_id: str, call_id: str, state: str) -> None:
    """Pause (`paused`) or resume (`recording`) the active recording of an active call."""
    with services.store.read() as conn:
        call = calls_repo.get_call(conn, account_id, call_id)
    if call is None or call.state != "active":
        raise NotFound(f"Call {call_id} is not an active call of account {account_id}")
    if call.recording_state not in ("recording", "paused"):
        raise ValidationFailed(f"Call {call_id} has no active recording to set to {state!r}")
    raise NotImplementedError
