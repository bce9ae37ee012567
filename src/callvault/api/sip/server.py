"""The SIPREC recording server's SIP side: who may record, the INVITE/ACK/re-INVITE/BYE dialog,
OPTIONS keep-alives, and the RTP of each session.

What a request costs is ordered by how much we trust its sender. A request from an address no SIP
source covers gets a 403 from memory (the sources are cached). A source with credentials is
challenged (401, stateless nonce) before anything is parsed further. Only then are the body, the
SDP and the metadata parsed (400, 415, 488 on failure), RTP ports bound and the call created.

Transactions (RFC 3261 section 17, as much as a server that never forwards needs): a
retransmitted request is answered with the response it already got; an INVITE's 2xx is resent over
UDP with doubling intervals until its ACK arrives; a CANCEL ends an INVITE still being set up with
487. A session ends on BYE, on the API hanging its call up, or when its RTP stops for
``media_timeout`` seconds while not on hold (callvault then sends the BYE).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import logging
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from callvault.api.sip.rtp_ports import RtpPortPool, RtpReceiver
from callvault.api.sip.transport import Peer, SipTransports
from callvault.calls.siprec.digest import DigestChallenger, parse_authorization
from callvault.calls.siprec.media import SiprecMedia, StreamPlan
from callvault.calls.siprec.metadata import (
    MetadataError,
    RecordingMetadata,
    parse_metadata,
    split_siprec_body,
)
from callvault.calls.siprec.sdp import SdpError, SessionDescription, answer_offer, parse_sdp
from callvault.calls.siprec.sip import (
    SipError,
    SipRequest,
    SipResponse,
    build_request,
    build_response,
    parse_message,
    parse_unchecked,
)
from callvault.domain.sources import SipSource

__all__ = ["RecordedCall", "RecordingCalls", "SipServer"]

log = logging.getLogger("callvault.sip")

T1 = 0.5
TRANSACTION_SECONDS = 64 * T1
TICK_SECONDS = 0.02
ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS"
ACCEPT = "application/sdp, application/rs-metadata+xml, multipart/mixed"
TRACKS = ("inbound", "outbound")


class RecordedCall(Protocol):
    """A call being recorded (the use cases behind it live in ``services``)."""

    call_id: str

    def add_audio(self, track: str, samples: np.ndarray) -> None:
        """Record `samples` on `track`; cheap, called on the event loop."""

    def hold(self) -> None:
        """The client paused the recording (blocking: run off the loop)."""

    def resume(self) -> None:
        """The client resumed it (blocking)."""

    def end(self) -> None:
        """The session is over: finish the recording, end the call (blocking)."""


class RecordingCalls(Protocol):
    def sources_for(self, address: str) -> list[SipSource]:
        """The SIP sources whose networks cover `address` (cheap: from memory)."""

    def open(
        self,
        source: SipSource,
        metadata: RecordingMetadata,
        tracks: tuple[str, ...],
        sip_call_id: str,
        on_ended: Callable[[], None],
    ) -> RecordedCall:
        """Create the call and its recording (blocking). `on_ended` runs, on any thread, when the
        call ends other than through this session (the API hung it up)."""


@dataclass
class _Dialog:
    sip_call_id: str
    remote_tag: str
    local_tag: str
    peer: Peer
    invite: SipRequest
    offer: SessionDescription
    plans: list[StreamPlan]
    receiver: RtpReceiver
    media: SiprecMedia
    call: RecordedCall | None = None
    answer_version: int = 1
    session_id: int = field(default_factory=lambda: secrets.randbelow(1 << 31))
    confirmed: asyncio.Event = field(default_factory=asyncio.Event)
    ending: bool = False
    local_cseq: int = 0
    started_at: float = field(default_factory=time.monotonic)

    def key(self) -> tuple[str, str]:
        return self.sip_call_id, self.remote_tag


class SipServer:
    """One listening address (UDP and TCP) and the recording sessions it holds."""

    def __init__(
        self,
        calls: RecordingCalls,
        *,
        host: str,
        port: int,
        media_address: str,
        rtp_ports: RtpPortPool,
        realm: str = "callvault",
        media_timeout: float = 30.0,
        jitter_delay: float = 0.06,
        udp: bool = True,
        tcp: bool = True,
        tls: tuple[int, ssl.SSLContext] | None = None,
    ) -> None:
        self._calls = calls
        self._transports = SipTransports(host, port, self._on_message)
        self._media_address = media_address
        self._rtp_ports = rtp_ports
        self._challenger = DigestChallenger(realm)
        self._media_timeout = media_timeout
        self._jitter_delay = jitter_delay
        self._udp, self._tcp, self._tls = udp, tcp, tls
        self._dialogs: dict[tuple[str, str], _Dialog] = {}
        self._responses: dict[tuple[str, int, str, str], tuple[float, bytes]] = {}
        self._pending_invites: dict[tuple[str, int, str], bool] = {}  # INVITEs being set up: cancelled?
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
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

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._transports.start(udp=self._udp, tcp=self._tcp, tls=self._tls)
        self._ticker = asyncio.create_task(self._tick_forever())
        log.info("SIPREC recording server on %s:%s", self._transports.host, self.port)

    async def stop(self) -> None:
        """Stop listening and finish every session's recording (the process is going away)."""
        await self._transports.stop()
        if self._ticker is not None:
            self._ticker.cancel()
        for dialog in list(self._dialogs.values()):
            await self._end(dialog, send_bye=True)
        tasks = [*self._tasks, *([self._ticker] if self._ticker else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

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
            self._respond(message, peer, exc.status, exc.reason)

    def _answer_unparsable(self, data: bytes, peer: Peer, exc: SipError) -> None:
        """Answer a broken request when its headers let us; drop what cannot be answered."""
        head = data.split(b"\r\n\r\n", 1)[0]
        try:
            request = parse_unchecked(head + b"\r\n\r\n")
        except SipError:
            request = None
        if (
            not isinstance(request, SipRequest)
            or request.method == "ACK"
            or not all(request.header(name) for name in ("Via", "From", "To", "Call-ID", "CSeq"))
        ):
            log.debug("unanswerable SIP message from %s: %s", peer.host, exc.reason)
            return
        peer.send(build_response(request, exc.status, exc.reason).to_bytes())

    def _on_request(self, request: SipRequest, peer: Peer) -> None:
        cached = self._cached_response(request)
        if cached is not None:
            peer.send(cached)
            return
        sources = self._calls.sources_for(peer.host)
        if not sources:
            if request.method != "ACK":
                self._respond(request, peer, 403, "Forbidden")
            return
        to_tag = request.to_tag
        if to_tag is not None:
            self._in_dialog(request, peer, to_tag)
        elif request.method == "INVITE":
            self._new_invite(request, peer, sources)
        elif request.method == "OPTIONS":
            self._respond(request, peer, 200, "OK", headers=self._capabilities())
        elif request.method == "CANCEL":
            self._cancel(request, peer)
        elif request.method == "ACK":
            return
        elif request.method == "BYE":
            self._respond(request, peer, 481, "Call/Transaction Does Not Exist")
        else:
            self._respond(request, peer, 405, "Method Not Allowed", headers=[("Allow", ALLOW)])

    def _capabilities(self) -> list[tuple[str, str]]:
        return [("Allow", ALLOW), ("Accept", ACCEPT), ("Supported", "siprec")]

    # --- responses ---------------------------------------------------------------------------------

    def _transaction_key(self, request: SipRequest) -> tuple[str, int, str, str]:
        branch = (request.header("Via") or "").partition("branch=")[2].split(";", 1)[0]
        number, method = request.cseq
        return request.call_id, number, method, branch

    def _cached_response(self, request: SipRequest) -> bytes | None:
        if request.method == "ACK":
            return None
        found = self._responses.get(self._transaction_key(request))
        return found[1] if found else None

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
        content_type: str | None = None,
    ) -> bytes:
        extra = list(headers or [])
        if content_type:
            extra.append(("Content-Type", content_type))
        if status >= 200 and to_tag is None and request.to_tag is None:
            to_tag = next(self._tags)
        data = build_response(request, status, reason, to_tag=to_tag, headers=extra, body=body).to_bytes()
        peer.send(data)
        if status >= 200:
            self._responses[self._transaction_key(request)] = (time.monotonic(), data)
        return data

    # --- a new session -------------------------------------------------------------------------------

    def _authenticate(self, request: SipRequest, sources: list[SipSource]) -> SipSource | None:
        """The source this INVITE belongs to; None after answering 401 (a challenge) for it."""
        open_sources = [source for source in sources if source.username is None]
        if open_sources:
            return open_sources[0]
        header = request.header("Authorization")
        credentials = parse_authorization(header) if header else None
        if credentials is not None and self._challenger.nonce_fresh(credentials.nonce):
            for source in sources:
                if (
                    source.username == credentials.username
                    and source.ha1 is not None
                    and self._challenger.verify(credentials, request.method, source.ha1)
                ):
                    return source
        return None

    def _new_invite(self, request: SipRequest, peer: Peer, sources: list[SipSource]) -> None:
        source = self._authenticate(request, sources)
        if source is None:
            header = request.header("Authorization")
            credentials = parse_authorization(header) if header else None
            stale = credentials is not None and not self._challenger.nonce_fresh(credentials.nonce)
            self._respond(
                request,
                peer,
                401,
                "Unauthorized",
                headers=[("WWW-Authenticate", self._challenger.challenge(stale=stale))],
            )
            return
        unsupported = [
            tag.strip()
            for value in request.header_values("Require")
            for tag in value.split(",")
            if tag.strip() and tag.strip().lower() != "siprec"
        ]
        if unsupported:
            self._respond(
                request, peer, 420, "Bad Extension", headers=[("Unsupported", ", ".join(unsupported))]
            )
            return
        try:
            body = split_siprec_body(request.content_type, request.body)
            if body.metadata is None:
                raise MetadataError(415, "An initial SIPREC INVITE needs a multipart body with rs-metadata")
            metadata = parse_metadata(body.metadata)
            offer = parse_sdp(body.sdp)
        except MetadataError as exc:
            status = exc.status
            headers = [("Accept", ACCEPT)] if status == 415 else []
            self._respond(request, peer, status, _reason(status, exc.reason), headers=headers)
            return
        except SdpError as exc:
            self._respond(request, peer, 488, f"Not Acceptable Here ({exc})"[:120])
            return
        key = (request.call_id, request.cseq[0], request.from_tag or "")
        if key in self._pending_invites:
            return  # a retransmission while the first copy is being set up
        self._pending_invites[key] = False
        if peer.transport_name == "UDP":
            peer.send(build_response(request, 100, "Trying").to_bytes())
        self._spawn(self._setup(request, peer, source, metadata, offer, key))

    async def _setup(
        self,
        request: SipRequest,
        peer: Peer,
        source: SipSource,
        metadata: RecordingMetadata,
        offer: SessionDescription,
        key: tuple[str, int, str],
    ) -> None:
        try:
            await self._setup_dialog(request, peer, source, metadata, offer, key)
        finally:
            self._pending_invites.pop(key, None)

    async def _setup_dialog(
        self,
        request: SipRequest,
        peer: Peer,
        source: SipSource,
        metadata: RecordingMetadata,
        offer: SessionDescription,
        key: tuple[str, int, str],
    ) -> None:
        plans = _stream_plans(offer, metadata)
        if not plans:
            self._respond(request, peer, 488, "Not Acceptable Here (no PCMU or PCMA audio stream)")
            return
        media = SiprecMedia(plans, lambda track, samples: None, jitter_delay=self._jitter_delay)
        addresses = {peer.host} | {address for m in offer.media if (address := offer.address_of(m))}
        senders = frozenset(str(ipaddress.ip_address(address)) for address in addresses)
        receiver = await self._rtp_ports.open(len(offer.media), media.datagram, senders)
        if receiver is None:
            self._respond(
                request, peer, 503, "Service Unavailable (no free RTP ports)", headers=[("Retry-After", "5")]
            )
            return
        dialog = _Dialog(
            sip_call_id=request.call_id,
            remote_tag=request.from_tag or "",
            local_tag=next(self._tags),
            peer=peer,
            invite=request,
            offer=offer,
            plans=plans,
            receiver=receiver,
            media=media,
        )
        try:
            answer, _ = answer_offer(
                offer,
                receiver.ports(len(offer.media)),
                address=self._media_address,
                session_id=dialog.session_id,
                version=dialog.answer_version,
            )
            tracks = tuple(plan.track for plan in plans)
            call = await asyncio.to_thread(
                self._calls.open,
                source,
                metadata,
                tracks,
                request.call_id,
                lambda: self._ended_elsewhere(dialog),
            )
        except Exception as exc:
            receiver.close()
            log.exception("SIPREC session %s could not start", request.call_id)
            self._respond(request, peer, 500, f"Server Internal Error ({type(exc).__name__})")
            return
        dialog.call = call
        media.set_output(call.add_audio)
        if self._pending_invites.get(key):
            self._respond(request, peer, 487, "Request Terminated", to_tag=dialog.local_tag)
            await self._end(dialog, send_bye=False)
            return
        self._dialogs[dialog.key()] = dialog
        if _held(offer):
            await self._hold(dialog)
        self._accept(dialog, request, peer, answer)
        log.info("SIPREC session %s recording as call %s from %s", request.call_id, call.call_id, source.name)

    def _contact(self, peer: Peer) -> str:
        host = self._media_address if ":" not in self._media_address else f"[{self._media_address}]"
        if peer.transport_name == "TLS":
            return f"<sips:srs@{host}:{self.tls_port}>;+sip.srs"
        return f"<sip:srs@{host}:{self.port};transport={peer.transport_name.lower()}>;+sip.srs"

    async def _retransmit_until_ack(self, dialog: _Dialog, data: bytes) -> None:
        interval = T1
        deadline = time.monotonic() + TRANSACTION_SECONDS
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(dialog.confirmed.wait(), interval)
                return
            if dialog.ending:
                return
            dialog.peer.send(data)
            interval = min(interval * 2, 4.0)
        log.warning("SIPREC session %s: no ACK for the 200 OK; ending it", dialog.sip_call_id)
        await self._end(dialog, send_bye=True)

    def _cancel(self, request: SipRequest, peer: Peer) -> None:
        key = (request.call_id, request.cseq[0], request.from_tag or "")
        if key not in self._pending_invites:
            self._respond(request, peer, 481, "Call/Transaction Does Not Exist")
            return
        self._pending_invites[key] = True
        self._respond(request, peer, 200, "OK")

    # --- in a dialog -----------------------------------------------------------------------------------

    def _in_dialog(self, request: SipRequest, peer: Peer, to_tag: str) -> None:
        dialog = self._dialogs.get((request.call_id, request.from_tag or ""))
        if dialog is None or dialog.local_tag != to_tag:
            if request.method != "ACK":
                self._respond(request, peer, 481, "Call/Transaction Does Not Exist")
            return
        dialog.peer = peer
        if request.method == "ACK":
            dialog.confirmed.set()
        elif request.method == "BYE":
            self._respond(request, peer, 200, "OK")
            self._spawn(self._end(dialog, send_bye=False))
        elif request.method == "INVITE":
            self._spawn(self._reinvite(dialog, request, peer))
        elif request.method == "OPTIONS":
            self._respond(request, peer, 200, "OK", headers=self._capabilities())
        else:
            self._respond(request, peer, 405, "Method Not Allowed", headers=[("Allow", ALLOW)])

    async def _reinvite(self, dialog: _Dialog, request: SipRequest, peer: Peer) -> None:
        try:
            offer = parse_sdp(split_siprec_body(request.content_type, request.body).sdp)
            if len(offer.media) < len(dialog.offer.media):
                raise SdpError("a re-INVITE may not remove m-lines")
            if len(offer.media) > len(dialog.offer.media):
                raise SdpError("callvault does not take streams added to a session")
            dialog.answer_version += 1
            answer, _ = answer_offer(
                offer,
                dialog.receiver.ports(len(offer.media)),
                address=self._media_address,
                session_id=dialog.session_id,
                version=dialog.answer_version,
            )
        except MetadataError as exc:
            self._respond(request, peer, exc.status, _reason(exc.status, exc.reason))
            return
        except SdpError as exc:
            self._respond(request, peer, 488, f"Not Acceptable Here ({exc})"[:120])
            return
        if _held(offer) and not dialog.media.held:
            await self._hold(dialog)
        elif not _held(offer) and dialog.media.held:
            await self._resume(dialog)
        dialog.offer = offer
        dialog.confirmed = asyncio.Event()
        self._accept(dialog, request, peer, answer)

    def _accept(self, dialog: _Dialog, request: SipRequest, peer: Peer, answer: bytes) -> None:
        """200 OK with our SDP answer; over UDP it is sent again until the ACK arrives."""
        ok = self._respond(
            request,
            peer,
            200,
            "OK",
            to_tag=dialog.local_tag,
            headers=[("Contact", self._contact(peer)), *self._capabilities()],
            body=answer,
            content_type="application/sdp",
        )
        if peer.transport_name == "UDP":
            self._spawn(self._retransmit_until_ack(dialog, ok))

    async def _hold(self, dialog: _Dialog) -> None:
        dialog.media.hold()
        assert dialog.call is not None
        await asyncio.to_thread(dialog.call.hold)

    async def _resume(self, dialog: _Dialog) -> None:
        assert dialog.call is not None
        await asyncio.to_thread(dialog.call.resume)
        dialog.media.resume()

    # --- the end -----------------------------------------------------------------------------------------

    def _ended_elsewhere(self, dialog: _Dialog) -> None:
        """The call was hung up through the API: end the session (called from any thread)."""
        if self._loop is not None and not dialog.ending:
            self._loop.call_soon_threadsafe(lambda: self._spawn(self._end(dialog, send_bye=True)))

    async def _end(self, dialog: _Dialog, *, send_bye: bool) -> None:
        if dialog.ending:
            return
        dialog.ending = True
        self._dialogs.pop(dialog.key(), None)
        dialog.media.flush()
        dialog.receiver.close()
        if send_bye:
            self._send_bye(dialog)
        if dialog.call is not None:
            try:
                await asyncio.to_thread(dialog.call.end)
            except Exception:
                log.exception("SIPREC session %s: finishing its call failed", dialog.sip_call_id)
        stats = {track: vars(s) for track, s in dialog.media.stats().items()}
        log.info("SIPREC session %s ended; RTP %s", dialog.sip_call_id, stats)

    def _send_bye(self, dialog: _Dialog) -> None:
        invite = dialog.invite
        dialog.local_cseq += 1
        contact = invite.header("Contact") or invite.header("From") or ""
        target = contact.split("<", 1)[1].split(">", 1)[0] if "<" in contact else contact.split(";", 1)[0]
        routes = invite.header_values("Record-Route")
        via_host = self._media_address if ":" not in self._media_address else f"[{self._media_address}]"
        branch = f"branch=z9hG4bK{secrets.token_hex(8)}"
        via_port = self.tls_port if dialog.peer.transport_name == "TLS" else self.port
        headers = [
            ("Via", f"SIP/2.0/{dialog.peer.transport_name} {via_host}:{via_port};rport;{branch}"),
            ("Max-Forwards", "70"),
            ("From", f"{invite.require('To')};tag={dialog.local_tag}"),
            ("To", invite.require("From")),
            ("Call-ID", dialog.sip_call_id),
            ("CSeq", f"{dialog.local_cseq} BYE"),
            *[("Route", route) for route in routes],
        ]
        dialog.peer.send(build_request("BYE", target.strip(), headers).to_bytes())

    # --- the clock ---------------------------------------------------------------------------------------

    def _spawn(self, coroutine: object) -> None:
        task = asyncio.ensure_future(coroutine)  # type: ignore[call-overload]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            now = time.monotonic()
            for dialog in list(self._dialogs.values()):
                try:
                    dialog.media.tick(now)
                except Exception:
                    log.exception("SIPREC session %s: recording its audio failed", dialog.sip_call_id)
                last = dialog.media.last_packet_at or dialog.started_at
                if not dialog.media.held and now - last > self._media_timeout and not dialog.ending:
                    log.info(
                        "SIPREC session %s: no RTP for %.0f s; ending it", dialog.sip_call_id, now - last
                    )
                    self._spawn(self._end(dialog, send_bye=True))
            expired = now - TRANSACTION_SECONDS
            for key in [key for key, (at, _) in self._responses.items() if at < expired]:
                del self._responses[key]


def _reason(status: int, detail: str) -> str:
    phrase = {400: "Bad Request", 415: "Unsupported Media Type"}.get(status, "Error")
    return f"{phrase} ({detail})"[:120]


def _held(offer: SessionDescription) -> bool:
    """Whether the client paused the recording: every audio stream it offers is inactive."""
    audio = [media for media in offer.media if media.acceptable]
    return bool(audio) and all(media.direction in ("inactive", "recvonly") for media in audio)


def _stream_plans(offer: SessionDescription, metadata: RecordingMetadata) -> list[StreamPlan]:
    """Tracks for the accepted streams: the caller's stream (first participant) records on
    ``inbound``, the other's on ``outbound``; without that in the metadata, SDP order decides."""
    accepted = [(index, media) for index, media in enumerate(offer.media) if media.acceptable][: len(TRACKS)]
    senders = [metadata.sender_of_label(media.label) for _, media in accepted]
    if sorted(s for s in senders if s is not None) == [0, 1] or (len(accepted) == 1 and senders == [0]):
        order = [sender for sender in senders if sender is not None]
    else:
        order = list(range(len(accepted)))
    plans = []
    for (index, media), track_index in zip(accepted, order, strict=True):
        codec = media.chosen_audio_codec()
        event = media.telephone_event()
        assert codec is not None
        plans.append(StreamPlan(index, TRACKS[track_index], codec, event.payload_type if event else None))
    return plans
