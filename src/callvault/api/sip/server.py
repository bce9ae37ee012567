"""The SIPREC recording server's SIP side: the transactions and dialogs (INVITE, ACK, re-INVITE,
BYE, CANCEL, OPTIONS) of its recording sessions, over the transports of ``transport.py``. The
session rules (tracks, hold, limits, the BYE) are :mod:`callvault.calls.siprec.session`.

What a request costs is ordered by how much we trust its sender. A TCP or TLS connection from an
address no SIP source covers is closed at accept; a UDP request from one gets a 403 from memory
(the sources are cached), never cached itself and not even that when its headers are large. A
source with credentials is challenged (401) before anything is parsed further (see
``authentication.py`` for which source a request belongs to). Only then are the body, the SDP and
the metadata parsed (400, 415, 488 on failure), RTP ports bound for the accepted streams and the
call created. The 200 OK names that call in ``X-Callvault-Call-Id``.

Transactions (RFC 3261 section 17, as much as a server that never forwards needs): a
retransmitted request is answered with the response it already got (``responses.py``); an
INVITE's 2xx is resent over UDP with doubling intervals until its ACK arrives; a CANCEL ends an
INVITE still being set up with 487. Every refusal is a :class:`~callvault.calls.siprec.sip.SipError`
answered in one place (:meth:`SipServer._refuse`); anything else that goes wrong is logged and
answered with a bare 500. Once set up, a session's dialog is kept by ``dialogs.py``
(:class:`~callvault.api.sip.dialogs.DialogTable`: in-dialog requests, re-INVITE, hold and resume,
the end, the session clock); this module listens, dispatches and answers.
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
import logging
import secrets
import ssl
import time

from callvault.api.sip.authentication import SourceAuthenticator
from callvault.api.sip.dialog import Dialog
from callvault.api.sip.dialogs import ALLOW, CALL_ID_HEADER, DialogTable, SessionWork, capabilities
from callvault.api.sip.responses import ResponseCache
from callvault.api.sip.rtp_ports import RtpPortPool
from callvault.api.sip.transport import ConnectionLimits, Peer, SipTransports
from callvault.calls.siprec.metadata import (
    RecordingMetadata,
    UnsupportedBody,
    parse_metadata,
    split_siprec_body,
)
from callvault.calls.siprec.sdp import parse_sdp
from callvault.calls.siprec.session import RecordingSession, SessionLimits, SessionRecordings
from callvault.calls.siprec.sip import (
    BadExtension,
    CallDoesNotExist,
    Forbidden,
    MethodNotAllowed,
    RequestTerminated,
    ServerInternalError,
    ServiceUnavailable,
    SipError,
    SipRequest,
    SipResponse,
    build_response,
    error_response,
    parse_head,
    parse_message,
)
from callvault.domain.sources import SipSource

__all__ = ["CALL_ID_HEADER", "SipServer"]

log = logging.getLogger("callvault.sip")

MAX_STRANGER_ECHO = 1024
"""A 403 to an address no source covers echoes its headers only when they are this small."""


class SipServer:
    """One listening address (UDP and TCP) and the recording sessions it holds."""

    def __init__(
        self,
        calls: SessionRecordings,
        *,
        host: str,
        port: int,
        media_address: str,
        rtp_ports: RtpPortPool,
        realm: str = "callvault",
        media_timeout: float = 30.0,
        max_hold: float = 3600.0,
        max_session_length: float = 4 * 3600.0,
        jitter_delay: float = 0.06,
        connections: ConnectionLimits | None = None,
        responses: ResponseCache | None = None,
        udp: bool = True,
        tcp: bool = True,
        tls: tuple[int, ssl.SSLContext] | None = None,
        session_threads: int = 2,
    ) -> None:
        self._calls = calls
        self._work = SessionWork(session_threads)
        self._transports = SipTransports(
            host,
            port,
            self._on_message,
            admit=lambda address: bool(calls.sources_for(address)),
            limits=connections,
        )
        self._media_address = media_address
        self._rtp_ports = rtp_ports
        self._auth = SourceAuthenticator(realm)
        self._limits = SessionLimits(media_timeout, max_hold, max_session_length)
        self._jitter_delay = jitter_delay
        self._udp, self._tcp, self._tls = udp, tcp, tls
        self._responses = responses if responses is not None else ResponseCache()
        self._dialogs = DialogTable(
            media_address=media_address,
            transports=self._transports,
            auth=self._auth,
            respond=self._respond,
            refuse=self._refuse,
            each_tick=self._responses.expire,
            work=self._work,
        )
        self._pending_invites: dict[tuple[str, int, str], bool] = {}  # INVITEs being set up: cancelled?
        self._tags = (secrets.token_hex(6) for _ in itertools.count())

    @property
    def port(self) -> int:
        return self._transports.port

    @property
    def tls_port(self) -> int | None:
        return self._transports.tls_port

    @property
    def active_sessions(self) -> int:
        return len(self._dialogs)

    @property
    def connections(self) -> int:
        """Open TCP and TLS connections."""
        return self._transports.connections

    @property
    def cached_responses(self) -> ResponseCache:
        return self._responses

    async def start(self) -> None:
        await self._transports.start(udp=self._udp, tcp=self._tcp, tls=self._tls)
        self._dialogs.start()
        log.info("SIPREC recording server on %s:%s", self._transports.host, self.port)

    async def stop(self) -> None:
        """Stop listening and finish every session's recording (the process is going away)."""
        await self._dialogs.end_all()
        await self._transports.stop()
        await self._dialogs.cancel_work()
        self._work.close()

    # --- dispatch --------------------------------------------------------------------------------

    def _on_message(self, data: bytes, peer: Peer) -> None:
        try:
            message = parse_message(data)
        except SipError as exc:
            self._answer_unparsable(data, peer, exc)
            return
        if isinstance(message, SipResponse):
            return  # answers to our BYEs: nothing to do with them
        try:
            self._on_request(message, peer)
        except SipError as exc:
            self._refuse(message, peer, exc)

    def _answer_unparsable(self, data: bytes, peer: Peer, exc: SipError) -> None:
        """Answer a broken request when its headers let us (and its sender is known); drop what
        cannot be answered."""
        try:
            request = parse_head(data.partition(b"\r\n\r\n")[0])
        except SipError:
            request = None
        if (
            not isinstance(request, SipRequest)
            or request.method == "ACK"
            or not all(request.header(name) for name in ("Via", "From", "To", "Call-ID", "CSeq"))
            or not self._calls.sources_for(peer.host)
        ):
            log.debug("unanswerable SIP message from %s: %s", peer.host, exc.reason)
            return
        peer.send(error_response(exc, request).to_bytes())

    def _on_request(self, request: SipRequest, peer: Peer) -> None:
        sources = self._calls.sources_for(peer.host)
        if not sources:
            self._refuse_stranger(request, peer)
            return
        cached = self._responses.get(request)
        if cached is not None:
            peer.send(cached)
            return
        to_tag = request.to_tag
        if to_tag is not None:
            self._dialogs.on_request(request, peer, to_tag)
        elif request.method == "INVITE":
            self._new_invite(request, peer, sources)
        elif request.method == "OPTIONS":
            self._respond(request, peer, 200, "OK", headers=capabilities())
        elif request.method == "CANCEL":
            self._cancel(request, peer)
        elif request.method == "BYE":
            raise CallDoesNotExist()
        elif request.method != "ACK":
            raise MethodNotAllowed(headers=[("Allow", ALLOW)])

    def _refuse_stranger(self, request: SipRequest, peer: Peer) -> None:
        """403 for an address no source covers: not cached, and only when its echo is small."""
        echoed = sum(
            len(value) for name, value in request.headers if name in ("Via", "From", "To", "Call-ID", "CSeq")
        )
        if request.method != "ACK" and echoed <= MAX_STRANGER_ECHO:
            peer.send(error_response(Forbidden(), request).to_bytes())

    # --- responses ---------------------------------------------------------------------------------

    def _refuse(self, request: SipRequest, peer: Peer, exc: SipError, *, to_tag: str | None = None) -> None:
        """The one place a refusal becomes a response."""
        self._respond(request, peer, exc.status, exc.reason, headers=exc.headers, to_tag=to_tag)

    def _respond(
        self,
        request: SipRequest,
        peer: Peer,
        status: int,
        reason: str,
        *,
        to_tag: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> bytes:
        if status >= 200 and to_tag is None and request.to_tag is None:
            to_tag = next(self._tags)
        data = build_response(
            request, status, reason, to_tag=to_tag, headers=headers or [], body=body
        ).to_bytes()
        peer.send(data)
        if status >= 200:
            self._responses.put(request, data, time.monotonic())
        return data

    # --- a new session -------------------------------------------------------------------------------

    def _new_invite(self, request: SipRequest, peer: Peer, sources: list[SipSource]) -> None:
        source = self._auth.source_for_invite(request, peer.host, sources)
        unsupported = [
            tag.strip()
            for value in request.header_values("Require")
            for tag in value.split(",")
            if tag.strip() and tag.strip().lower() != "siprec"
        ]
        if unsupported:
            raise BadExtension(headers=[("Unsupported", ", ".join(unsupported))])
        body = split_siprec_body(request.content_type, request.body)
        if body.metadata is None:
            raise UnsupportedBody("An initial SIPREC INVITE needs a multipart body with rs-metadata")
        metadata = parse_metadata(body.metadata)
        session = RecordingSession(
            parse_sdp(body.sdp), metadata, self._limits, now=time.monotonic(), jitter_delay=self._jitter_delay
        )
        key = (request.call_id, request.cseq[0], request.from_tag or "")
        if key in self._pending_invites:
            return  # a retransmission while the first copy is being set up
        self._pending_invites[key] = False
        if peer.transport_name == "UDP":
            peer.send(build_response(request, 100, "Trying").to_bytes())
        self._dialogs.spawn(self._setup(request, peer, source, metadata, session, key))

    async def _setup(
        self,
        request: SipRequest,
        peer: Peer,
        source: SipSource,
        metadata: RecordingMetadata,
        session: RecordingSession,
        key: tuple[str, int, str],
    ) -> None:
        try:
            await self._setup_dialog(request, peer, source, metadata, session, key)
        except SipError as exc:
            self._refuse(request, peer, exc)
        except Exception:
            log.exception("SIPREC session %s could not start", request.call_id)
            self._refuse(request, peer, ServerInternalError())
        finally:
            self._pending_invites.pop(key, None)

    async def _setup_dialog(
        self,
        request: SipRequest,
        peer: Peer,
        source: SipSource,
        metadata: RecordingMetadata,
        session: RecordingSession,
        key: tuple[str, int, str],
    ) -> None:
        offer = session.offer
        addresses = {peer.host} | {address for m in offer.media if (address := offer.address_of(m))}
        senders = frozenset(str(ipaddress.ip_address(address)) for address in addresses)
        receiver = await self._rtp_ports.open(session.stream_indexes, session.datagram, senders)
        if receiver is None:
            raise ServiceUnavailable("no free RTP ports", headers=[("Retry-After", "5")])
        dialog = Dialog(request, next(self._tags), source, peer.host, peer, session, receiver)
        peer.sessions += 1
        try:
            answer = session.answer(receiver.ports, address=self._media_address)
            call = await self._work.run(
                functools.partial(
                    self._calls.open,
                    source,
                    metadata,
                    session.tracks,
                    request.call_id,
                    lambda: self._dialogs.ended_elsewhere(dialog),
                )
            )
        except BaseException:
            receiver.close()
            peer.sessions -= 1
            raise
        dialog.call = call
        session.attach(call)
        if self._pending_invites.get(key):
            self._refuse(request, peer, RequestTerminated(), to_tag=dialog.local_tag)
            await self._dialogs.end(dialog, send_bye=False)
            return
        await self._dialogs.add(dialog, request, peer, answer)
        log.info("SIPREC session %s recording as call %s from %s", request.call_id, call.call_id, source.name)

    def _cancel(self, request: SipRequest, peer: Peer) -> None:
        key = (request.call_id, request.cseq[0], request.from_tag or "")
        if key not in self._pending_invites:
            raise CallDoesNotExist()
        self._pending_invites[key] = True
        self._respond(request, peer, 200, "OK")
