"""No call left behind: a call recorded from outside (a SIPREC session, a CPaaS stream) whose
process was killed is ended by another one.

The process that holds a call's media beats its heart in the call's row every
``media_owner_timeout / 3`` seconds (``calls.runtime.OwnerHeartbeat``). Every serving process
(``callvault serve``, ``callvault sip``) runs :class:`CallLivenessLoop`, which every
``media_owner_timeout / 3`` seconds ends the active calls recorded from outside whose owner has been
silent longer than ``media_owner_timeout``: their recording is finished ``partial`` from the spool
the killed process left when this process shares its spool directory, else stored empty
(``partial``/``error``) for the killed process's spool recovery to fill when it starts again; the
call ends with ``disconnectCause`` ``media-owner-lost``. So a killed process's calls end at most
``4/3 x media_owner_timeout`` after its last heartbeat (20 s by default).

A call callvault runs itself (``POST /calls``) is not ended: its media socket may come back.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from callvault.domain.errors import NotFound
from callvault.domain.timefmt import utcnow
from callvault.services.container import Services
from callvault.services.live_calls import hang_up
from callvault.store import calls_repo

__all__ = ["MEDIA_OWNER_LOST", "CallLivenessLoop", "end_orphaned_calls"]

log = logging.getLogger("callvault.calls")

MEDIA_OWNER_LOST = "media-owner-lost"
"""The ``disconnectCause`` of a call ended because the process that held its media was gone."""


def end_orphaned_calls(services: Services) -> int:
    """End the active calls recorded from outside whose media owner's process is gone; how many."""
    seen_before = utcnow() - timedelta(seconds=services.settings.media_owner_timeout)
    with services.store.read() as conn:
        orphans = calls_repo.orphaned_calls(conn, seen_before)
    ended = 0
    for account_id, call_id in orphans:
        try:
            if hang_up(services, account_id, call_id, cause=MEDIA_OWNER_LOST, orphaned_only=True):
                log.warning(
                    "call %s of account %s: its media owner's process is gone; the call is ended, its "
                    "recording finished partial",
                    call_id,
                    account_id,
                )
                ended += 1
        except NotFound:
            continue
        except Exception:
            log.exception("ending the orphaned call %s of account %s failed", call_id, account_id)
    return ended


class CallLivenessLoop:
    """Runs :func:`end_orphaned_calls` every `interval` seconds (default ``media_owner_timeout / 3``)
    on a thread of its own; an error is logged and the loop goes on."""

    def __init__(self, services: Services, interval: float | None = None) -> None:
        self._services = services
        self._interval = services.settings.media_owner_timeout / 3 if interval is None else interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="call-liveness", daemon=True)

    def start(self) -> CallLivenessLoop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                end_orphaned_calls(self._services)
            except Exception:  # the database is away: try again next round
                log.exception("looking for calls whose media owner is gone failed")
