"""The SIPREC server's established dialogs (:class:`DialogTable`): what happens to a recording
session once its INVITE has been set up, until it ends. ``dialog.py`` is one dialog; this is the
server's set of them, kept by Call-ID and remote tag, with the background work done for them.

A dialog belongs to the source and address that created it: an in-dialog request from elsewhere
is a 481, or a 401 when that source has credentials and the address is still one of the source's.
In a dialog: ACK confirms the 200 OK (over UDP it is resent with doubling intervals until then,
and a session whose ACK never comes is ended), a re-INVITE renegotiates the streams and holds or
resumes the call, OPTIONS says what we support, BYE ends the session.

A dialog handles one re-INVITE at a time (RFC 3261 section 14.2), so a hold and the resume after it
reach the call in the order they were sent. Over UDP a re-INVITE is answered 100 Trying at once;
its retransmissions while the call is being held or resumed get the 100 again and are not handled
a second time (the final response, once sent, is what the listener resends). A re-INVITE with a
new CSeq while one is in progress gets a 500 with Retry-After, one still in progress when the
session ends gets a 487, and one whose hold or resume failed in the services a 500.

A session also ends on the API hanging its call up, or when a session limit passes (callvault then
sends the BYE). Every session's jitter buffers are released and its limits checked on one clock
(:data:`TICK_SECONDS`).

Responses go out through the listener (``server.py``), which keeps them for retransmissions and is
the one place a refusal becomes a response.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from callvault.api.sip.authentication import SourceAuthenticator
from callvault.api.sip.dialog import Dialog, bracketed
from callvault.api.sip.transport import Peer, SipTransports
from callvault.calls.siprec.metadata import ACCEPTED_BODIES, split_siprec_body
from callvault.calls.siprec.sdp import parse_sdp
from callvault.calls.siprec.session import is_held
from callvault.calls.siprec.sip import (
    CallDoesNotExist,
    MethodNotAllowed,
    RequestTerminated,
    ServerInternalError,
    SipError,
    SipRequest,
)

__all__ = ["ALLOW", "CALL_ID_HEADER", "TICK_SECONDS", "DialogTable", "SessionWork", "capabilities"]

log = logging.getLogger("callvault.sip")

TICK_SECONDS = 0.1
"""How often every session's jitter buffers release their audio: five 20 ms packets a stream at a time,
so the work per release (placing, writing the spool) is paid once per five packets (it was once per
packet at 0.02 s: 4.4 ms of CPU per session-second, 3.5 now). The jitter window is media time, so the
tick changes neither what is lost nor where audio lies; a live listener hears it up to 0.1 s later."""
REINVITE_RETRY_AFTER_SECONDS = 10
"""A re-INVITE refused because another is in progress is told to try again within this (RFC 3261 14.2)."""
ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS"
CALL_ID_HEADER = "X-Callvault-Call-Id"


def capabilities() -> list[tuple[str, str]]:
    """What callvault's SIP side takes, said in every OPTIONS answer and 200 OK to an INVITE."""
    return [("Allow", ALLOW), ("Accept", ACCEPTED_BODIES), ("Supported", "siprec")]


T = TypeVar("T")


class SessionWork:
    """The threads that run the sessions' blocking work: opening, holding, resuming and ending their
    calls. The listener's own few, not the event loop's default executor: that work is mostly
    database writes, which SQLite takes one at a time anyway, and each further thread only hands the
    GIL to and fro with the loop reading RTP (bench_siprec, 400 sessions: 6% less CPU with 2 threads
    than with the default 6). PostgreSQL and S3 take more at once: ``CALLVAULT_SIP_SESSION_THREADS``."""

    def __init__(self, threads: int) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="siprec-session")

    async def run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def close(self) -> None:
        """Let the threads go once their work is done (the listener has stopped)."""
        self._executor.shutdown(wait=False)


class Respond(Protocol):
    """The listener's answer to a request (``SipServer._respond``); returns the bytes sent."""

    def __call__(
        self,
        request: SipRequest,
        peer: Peer,
        status: int,
        reason: str,
        *,
        to_tag: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> bytes: ...


class DialogTable:
    """See the module docstring. Driven from one event loop; :meth:`ended_elsewhere` from any thread."""

    def __init__(
        self,
        *,
        media_address: str,
        transports: SipTransports,
        auth: SourceAuthenticator,
        respond: Respond,
        refuse: Callable[[SipRequest, Peer, SipError], None],
        each_tick: Callable[[float], None],
        work: SessionWork,
    ) -> None:
        self._media_address = media_address
        self._work = work
        self._transports = transports
        self._auth = auth
        self._respond = respond
        self._refuse = refuse
        self._each_tick = each_tick
        self._dialogs: dict[tuple[str, str], Dialog] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __len__(self) -> int:
        return len(self._dialogs)

    def start(self) -> None:
        """Start the session clock (on the running loop); also calls ``each_tick`` every tick."""
        self._loop = asyncio.get_running_loop()
        self._ticker = asyncio.create_task(self._tick_forever())

    async def end_all(self) -> None:
        """Stop the clock and end every session with our BYE (the process is going away)."""
        if self._ticker is not None:
            self._ticker.cancel()
        for dialog in list(self._dialogs.values()):
            await self.end(dialog, send_bye=True)

    async def cancel_work(self) -> None:
        """Cancel what is still running in the background, the clock included, and wait for it."""
        tasks = [*self._tasks, *([self._ticker] if self._ticker else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run `coroutine` in the background until it finishes or :meth:`cancel_work`."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- a session begins --------------------------------------------------------------------------

    async def add(self, dialog: Dialog, request: SipRequest, peer: Peer, answer: bytes) -> None:
        """Keep the dialog its INVITE created (held when the offer says so) and accept it."""
        self._dialogs[dialog.key()] = dialog
        if is_held(dialog.session.offer):
            await self._hold(dialog)
        self._accept(dialog, request, peer, answer)

    def _accept(self, dialog: Dialog, request: SipRequest, peer: Peer, answer: bytes) -> None:
        """200 OK with our SDP answer; over UDP it is sent again until the ACK arrives."""
        assert dialog.call is not None
        ok = self._respond(
            request,
            peer,
            200,
            "OK",
            to_tag=dialog.local_tag,
            headers=[
                ("Contact", self._contact(peer)),
                *capabilities(),
                (CALL_ID_HEADER, dialog.call.call_id),
                ("Content-Type", "application/sdp"),
            ],
            body=answer,
        )
        if peer.transport_name == "UDP":
            self.spawn(self._retransmit_until_ack(dialog, ok))

    def _contact(self, peer: Peer) -> str:
        host = bracketed(self._media_address)
        if peer.transport_name == "TLS":
            return f"<sips:srs@{host}:{self._port_for(peer)}>;+sip.srs"
        return f"<sip:srs@{host}:{self._port_for(peer)};transport={peer.transport_name.lower()}>;+sip.srs"

    def _port_for(self, peer: Peer) -> int | None:
        """Our listening port on `peer`'s transport."""
        return self._transports.tls_port if peer.transport_name == "TLS" else self._transports.port

    async def _retransmit_until_ack(self, dialog: Dialog, data: bytes) -> None:
        if not await dialog.retransmit_until_ack(data):
            log.warning("SIPREC session %s: no ACK for the 200 OK; ending it", dialog.sip_call_id)
            await self.end(dialog, send_bye=True)

    # --- in a dialog -----------------------------------------------------------------------------------

    def on_request(self, request: SipRequest, peer: Peer, to_tag: str) -> None:
        """A request with a To tag: it must be in one of our dialogs (:class:`SipError` otherwise)."""
        dialog = self._dialogs.get((request.call_id, request.from_tag or ""))
        if dialog is None or dialog.local_tag != to_tag or not dialog.source.matches_address(peer.host):
            if request.method != "ACK":
                raise CallDoesNotExist()
            return
        if dialog.needs_credentials_from(peer.host):
            if request.method == "ACK":
                return  # an ACK cannot be challenged
            self._auth.require_credentials_of(request, dialog.source)
        dialog.use_peer(peer)
        if request.method == "ACK":
            dialog.confirmed.set()
        elif request.method == "BYE":
            self._respond(request, peer, 200, "OK")
            self.spawn(self.end(dialog, send_bye=False))
        elif request.method == "INVITE":
            self._reinvite_arrived(dialog, request, peer)
        elif request.method == "OPTIONS":
            self._respond(request, peer, 200, "OK", headers=capabilities())
        else:
            raise MethodNotAllowed(headers=[("Allow", ALLOW)])

    def _reinvite_arrived(self, dialog: Dialog, request: SipRequest, peer: Peer) -> None:
        number = request.cseq[0]
        in_progress = dialog.reinvite_in_progress
        if in_progress is not None and number != in_progress:
            raise ServerInternalError(
                "a re-INVITE is still in progress in this dialog",
                headers=[("Retry-After", str(random.randint(1, REINVITE_RETRY_AFTER_SECONDS)))],
            )
        if peer.transport_name == "UDP":
            self._respond(request, peer, 100, "Trying")
        if in_progress is None:
            dialog.reinvite_in_progress = number
            self.spawn(self._reinvite(dialog, request, peer))

    async def _reinvite(self, dialog: Dialog, request: SipRequest, peer: Peer) -> None:
        try:
            await self._renegotiate(dialog, request, peer)
        except Exception:
            log.exception("SIPREC session %s: holding or resuming its call failed", dialog.sip_call_id)
            self._refuse(request, peer, ServerInternalError())
        finally:
            dialog.reinvite_in_progress = None

    async def _renegotiate(self, dialog: Dialog, request: SipRequest, peer: Peer) -> None:
        session = dialog.session
        try:
            session.renegotiate(parse_sdp(split_siprec_body(request.content_type, request.body).sdp))
            answer = session.answer(dialog.receiver.ports, address=self._media_address)
        except SipError as exc:
            self._refuse(request, peer, exc)
            return
        held = is_held(session.offer)
        if held and not session.held:
            await self._hold(dialog)
        elif not held and session.held:
            await self._resume(dialog)
        if dialog.ending:
            self._refuse(request, peer, RequestTerminated())
            return
        dialog.confirmed = asyncio.Event()
        self._accept(dialog, request, peer, answer)

    async def _hold(self, dialog: Dialog) -> None:
        dialog.receiver.read_waiting()  # what arrived before the hold is recorded
        dialog.session.hold(time.monotonic())
        assert dialog.call is not None
        try:
            async with dialog.call_in_use:
                await self._work.run(dialog.call.hold)
        except BaseException:
            dialog.session.resume(time.monotonic())  # not held: its audio is still recorded
            raise

    async def _resume(self, dialog: Dialog) -> None:
        assert dialog.call is not None
        async with dialog.call_in_use:
            await self._work.run(dialog.call.resume)
        dialog.receiver.read_waiting()  # what arrived while held is not
        dialog.session.resume(time.monotonic())

    # --- the end -----------------------------------------------------------------------------------------

    def ended_elsewhere(self, dialog: Dialog) -> None:
        """The call was hung up through the API: end the session (called from any thread)."""
        if self._loop is not None and not dialog.ending:
            self._loop.call_soon_threadsafe(lambda: self.spawn(self.end(dialog, send_bye=True)))

    async def end(self, dialog: Dialog, *, send_bye: bool) -> None:
        """Finish the session and its call, once; `send_bye` when callvault is the one ending it."""
        if dialog.ending:
            return
        dialog.ending = True
        self._dialogs.pop(dialog.key(), None)
        dialog.peer.sessions -= 1
        dialog.receiver.read_waiting()  # what arrived before the end is recorded
        dialog.session.finish()
        dialog.receiver.close()
        if send_bye:
            dialog.send_bye(self._media_address, self._port_for(dialog.peer))
        if dialog.call is not None:
            try:
                async with dialog.call_in_use:
                    await self._work.run(dialog.call.end)
            except Exception:
                log.exception("SIPREC session %s: finishing its call failed", dialog.sip_call_id)
        stats = {track: vars(s) for track, s in dialog.session.stats().items()}
        log.info("SIPREC session %s ended; RTP %s", dialog.sip_call_id, stats)

    # --- the clock ---------------------------------------------------------------------------------------

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                self.tick(time.monotonic())
            except Exception:
                log.exception("the SIP session clock failed a tick")

    def tick(self, now: float) -> None:
        """Release every session's audio up to `now` and end those past a limit."""
        for dialog in list(self._dialogs.values()):
            try:
                dialog.session.tick(now)
                reason = dialog.session.expiry(now)
            except Exception:
                log.exception("SIPREC session %s: recording its audio failed", dialog.sip_call_id)
                continue
            if reason is not None and not dialog.ending:
                log.info("SIPREC session %s: %s; ending it", dialog.sip_call_id, reason)
                self.spawn(self.end(dialog, send_bye=True))
        self._each_tick(now)
