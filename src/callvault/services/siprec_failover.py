"""SIPREC failover: an SRC that re-establishes a recording session after a failure (a new INVITE
with the same SIPREC session id, often to another SRS, as SBCs do) goes on with the same call and
recording instead of starting an unrelated one.

A new session continues the account's latest call of that session id when that call's process is
gone: the call is still active but its media owner has not beaten its heart for
``media_owner_timeout`` (it is ended first, its recording finished ``partial`` from the spool the
killed process left where this process can reach it), or the call was ended for that reason
(``media-owner-lost``, by ``services.call_liveness``) less than ``siprec_failover_window`` ago.
The call becomes active again with the same call id and an active recording of the same recording
id that continues the stored one (``ActiveRecording.continues``); when it ends, the stored part,
the gap as silence and the new audio are joined (``services.continued_recordings``).

Only WAV recordings go on this way; an MP3 account's re-established session is a new call.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from callvault.domain.records import ActiveRecording, Call
from callvault.domain.timefmt import utcnow
from callvault.services.call_liveness import MEDIA_OWNER_LOST
from callvault.services.container import Services
from callvault.services.live_calls import hang_up
from callvault.store import calls_repo, recordings_repo

__all__ = ["resume_failed_over_call"]

log = logging.getLogger("callvault.calls")


def resume_failed_over_call(
    services: Services, account_id: str, session_id: str, template: ActiveRecording
) -> Call | None:
    """The call of SIPREC session `session_id` made active again, recording on from where its
    killed process stopped (`template`: the recording settings a new call would get); None when the
    session has no call whose process is gone (the caller opens a new call)."""
    if template.file_format != "wav":
        return None
    with services.store.read() as conn:
        candidates = calls_repo.find_siprec_calls(conn, account_id, session_id, limit=1)
    if not candidates:
        return None
    latest = candidates[0]
    call = latest.call
    now = utcnow()
    if call.state == "active":
        # its process is gone: end it here first (its recording finished from the spool, if reachable)
        if not hang_up(services, account_id, call.call_id, cause=MEDIA_OWNER_LOST, orphaned_only=True):
            return None
    elif (
        call.disconnect_cause != MEDIA_OWNER_LOST
        or call.end_time is None
        or now - call.end_time > timedelta(seconds=services.settings.siprec_failover_window)
    ):
        return None
    return _reopen(services, account_id, call.call_id, template)


def _reopen(services: Services, account_id: str, call_id: str, template: ActiveRecording) -> Call | None:
    now = utcnow()
    with services.store.write() as conn:
        locked = calls_repo.lock_call(conn, account_id, call_id)
        ended = locked.call if locked is not None else None
        if ended is None or ended.state == "active" or ended.disconnect_cause != MEDIA_OWNER_LOST:
            return None  # another SRS took the session over first
        parts = recordings_repo.list_call_recordings(conn, account_id, call_id)
        earlier = parts[-1] if parts else None
        if earlier is None or earlier.file_format != "wav":
            return None
        active = dataclasses.replace(
            template,
            recording_id=earlier.recording_id,
            start_time=now,
            multi_channel=earlier.channels == 2 if earlier.media_key else template.multi_channel,
            source=earlier.source or template.source,
            continues={
                "mediaKey": earlier.media_key,
                "startTime": earlier.start_time.isoformat(),
                "endTime": (earlier.end_time or earlier.start_time).isoformat(),
            },
        )
        calls_repo.update_call(
            conn,
            account_id,
            call_id,
            state="active",
            end_time=None,
            disconnect_cause=None,
            recording=active,
            recording_state="recording",
            media_owner=None,
            media_owner_seen_at=None,
        )
        call = calls_repo.get_call(conn, account_id, call_id)
    log.warning(
        "call %s of account %s: SIPREC session re-established after its process died; recording %s goes on",
        call_id,
        account_id,
        active.recording_id,
    )
    return call
