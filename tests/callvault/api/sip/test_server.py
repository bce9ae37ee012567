"""The SIP listener (callvault.api.sip.server) on real UDP and TCP sockets: who may record, malformed
input, the dialog (INVITE, ACK, re-INVITE hold/resume, BYE, CANCEL, OPTIONS) and RTP into tracks.

The use cases behind it are replaced by an in-memory `SessionRecordings` (support.sip_listener), so
these tests see exactly what the listener asks of the services; test_siprec_sipp.py runs the real
thing. test_hardening.py has what a hostile network or a careless SBC does.
"""

from __future__ import annotations

import hashlib
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from callvault.calls.siprec.digest import ha1
from callvault.calls.siprec.sip import SipRequest
from callvault.domain.sources import SipSource
from callvault.media.audio import mulaw_decode, mulaw_encode
from support.needs import unavailable
from support.sip_client import Client, send_rtp
from support.sip_listener import FakeCalls, Listener, answered_ports, wait_until
from support.siprec import metadata_xml, multipart, offer_sdp


@pytest.fixture
def open_source() -> SipSource:
    return SipSource("local", "9900000", ("127.0.0.0/8",))


@pytest.fixture
def listener(open_source: SipSource) -> Iterator[Listener]:
    running = Listener(FakeCalls([open_source]), media_timeout=30.0, jitter_delay=0.02)
    yield running
    running.close()


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_session_records_both_legs_pauses_resumes_and_ends(listener: Listener, transport: str) -> None:
    client = Client(listener.server.port, transport)
    response = client.invite()
    assert response.status == 200, response.reason
    assert response.content_type == "application/sdp"
    body = response.body.decode()
    assert body.count("a=recvonly") == 2 and "a=label:1" in body and "a=label:2" in body
    first, second = answered_ports(response)
    assert second == first + 2
    (call,) = listener.calls.calls
    assert call.tracks == ("inbound", "outbound")
    metadata = listener.calls.metadata[0]
    assert metadata.original_call_id == "orig-call-1@pbx.example.com"

    tone = np.full(160, 2000, dtype=np.int16)
    payload = mulaw_encode(tone)
    send_rtp(first, [(1, 0, payload), (3, 320, payload), (2, 160, payload), (2, 160, payload)], ssrc=1)
    send_rtp(second, [(9, 0, payload)], ssrc=2)
    send_rtp(second, [(10, 160, payload)], ssrc=2, source="127.0.0.2")  # not the client: ignored
    wait_until(lambda: len(call.samples("inbound")) == 480 and len(call.samples("outbound")) == 160)
    assert np.array_equal(call.samples("inbound"), np.tile(mulaw_decode(payload), 3))

    assert client.reinvite("inactive").status == 200
    assert call.events == ["hold"]
    send_rtp(first, [(4, 480, payload)], ssrc=1)  # while held: dropped
    assert client.reinvite("sendonly").status == 200
    assert call.events == ["hold", "resume"]
    # the tracks carry their place on the session clock (`at`): nothing is padded here, and the foreign
    # packet left no audio
    assert len(call.samples("outbound")) == 160

    client.request("BYE")
    assert client.final().status == 200
    wait_until(lambda: call.events[-1:] == ["end"])
    assert len(call.samples("inbound")) == 480
    client.request("BYE")
    assert client.final().status == 481
    # the blocking work ran on the listener's own session threads, not the loop's default executor
    assert {name.rsplit("_", 1)[0] for name in listener.calls.open_threads + call.threads} == {
        "siprec-session"
    }


def test_audio_sent_just_before_a_hold_resume_or_bye_meets_the_state_it_arrived_in(
    listener: Listener,
) -> None:
    """RTP ports are polled every 20 ms, SIP is read as it comes: a session's ports are read before its
    state changes, so a packet sent right before a re-INVITE or BYE is not judged by the new state."""
    client = Client(listener.server.port, "UDP")
    response = client.invite()
    assert response.status == 200, response.reason
    first, _ = answered_ports(response)
    (call,) = listener.calls.calls
    payload = mulaw_encode(np.full(160, 2000, dtype=np.int16))
    send_rtp(first, [(1, 0, payload), (2, 160, payload)], ssrc=1)
    assert client.reinvite("inactive").status == 200  # at once: the packets arrived before the hold
    send_rtp(first, [(3, 320, payload)], ssrc=1)
    assert client.reinvite("sendonly").status == 200  # at once: that packet arrived while held
    send_rtp(first, [(4, 480, payload)], ssrc=1)
    client.request("BYE")  # at once: the packet arrived before the end
    assert client.final().status == 200
    wait_until(lambda: call.events[-1:] == ["end"])
    assert len(call.samples("inbound")) == 3 * 160


def test_unknown_source_gets_403_without_parsing_more(listener: Listener) -> None:
    listener.calls.sources = [SipSource("far", "9900000", ("10.9.9.0/24",))]
    client = Client(listener.server.port)
    assert client.invite().status == 403
    client.request("OPTIONS")
    assert client.final().status == 403
    assert listener.calls.calls == []


def test_digest_credentials_are_challenged_and_checked(listener: Listener) -> None:
    listener.calls.sources = [
        SipSource("sbc", "9900000", (), username="sbc1", ha1=ha1("sbc1", "callvault", "s3cret-pass"))
    ]
    client = Client(listener.server.port)
    challenge = client.invite()
    assert challenge.status == 401
    header = challenge.header("WWW-Authenticate") or ""
    nonce = header.split('nonce="', 1)[1].split('"', 1)[0]

    def authorization(password: str) -> str:
        h2 = hashlib.md5(b"INVITE:sip:srs@127.0.0.1").hexdigest()
        response = hashlib.md5(
            f"{ha1('sbc1', 'callvault', password)}:{nonce}:00000001:abc:auth:{h2}".encode()
        ).hexdigest()
        return (
            f'Digest username="sbc1", realm="callvault", nonce="{nonce}", uri="sip:srs@127.0.0.1", '
            f'response="{response}", qop=auth, nc=00000001, cnonce="abc"'
        )

    assert client.invite(headers=[("Authorization", authorization("wrong-pass"))]).status == 401
    assert listener.calls.calls == []
    assert client.invite(headers=[("Authorization", authorization("s3cret-pass"))]).status == 200
    assert len(listener.calls.calls) == 1


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/sdp", b"v=0\r\n", 415),  # an initial INVITE without metadata
        ("text/plain", b"hello", 415),
        ('multipart/mixed;boundary="x"', b"--x\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--x--", 415),
    ],
)
def test_bodies_callvault_cannot_take(
    listener: Listener, content_type: str, body: bytes, status: int
) -> None:
    client = Client(listener.server.port)
    client.request("INVITE", body=body, content_type=content_type)
    response = client.final()
    assert response.status == status
    assert listener.calls.calls == []


def test_bad_metadata_is_400_and_unusable_sdp_is_488(listener: Listener) -> None:
    client = Client(listener.server.port)
    assert client.invite(metadata="<recording").status == 400
    g729 = (
        offer_sdp("127.0.0.1", (41000, 41002))
        .replace("RTP/AVP 0 101", "RTP/AVP 18")
        .replace("a=rtpmap:0 PCMU/8000\r\n", "")
    )
    assert client.invite(sdp=g729).status == 488
    assert client.invite(sdp="v=0\r\nnonsense\r\n").status == 488


def test_require_extension_and_unknown_methods(listener: Listener) -> None:
    client = Client(listener.server.port)
    content_type, body = multipart(offer_sdp("127.0.0.1", (41000, 41002)), metadata_xml())
    client.request("INVITE", body=body, content_type=content_type, headers=[("Require", "siprec, 100rel")])
    response = client.final()
    assert response.status == 420 and response.header("Unsupported") == "100rel"
    client.request("OPTIONS")
    options = client.final()
    assert options.status == 200 and "siprec" in (options.header("Supported") or "")
    client.request("MESSAGE")
    assert client.final().status == 405


def test_garbage_never_stops_the_listener(listener: Listener) -> None:
    client = Client(listener.server.port)
    bad_cseq_invite = (
        b"INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=1\r\nFrom: <sip:a>;tag=1\r\n"
        b"To: <sip:b>\r\nCall-ID: 1\r\nCSeq: x INVITE\r\n\r\n"
    )
    options_without_headers = b"OPTIONS sip:x SIP/2.0\r\nVia: x\r\n\r\n"
    for junk in (
        b"\x00\xff" * 50,
        b"INVITE\r\n\r\n",
        b"SIP/2.0 200 OK\r\n\r\n",
        options_without_headers,
        bad_cseq_invite,
    ):
        client.send(junk)
    bad_cseq = client.final()
    assert bad_cseq.status == 400
    tcp = Client(listener.server.port, "TCP")
    tcp.send(b"INVITE sip:x SIP/2.0\r\nVia: x\r\n\r\n")  # no Content-Length on a stream
    assert tcp.sock.recv(1000).startswith(b"SIP/2.0 400 ")
    client.request("OPTIONS")
    assert client.final().status == 200


def test_retransmitted_invite_gets_the_same_answer_and_200_is_resent_until_ack(listener: Listener) -> None:
    client = Client(listener.server.port)
    content_type, body = multipart(offer_sdp("127.0.0.1", (41000, 41002)), metadata_xml())
    data = client.request("INVITE", body=body, content_type=content_type)
    first = client.final()
    client.send(data)
    again = client.final()
    assert again.status == 200 and again.to_tag == first.to_tag and again.body == first.body
    retransmitted = client.final()  # no ACK yet: the 200 comes again by itself
    assert retransmitted.status == 200
    assert len(listener.calls.calls) == 1


def reinvite_request(client: Client, direction: str, *, cseq: int | None = None) -> bytes:
    sdp = offer_sdp("127.0.0.1", (41000, 41002), direction=direction).encode()
    return client.request("INVITE", body=sdp, content_type="application/sdp", cseq=cseq)


def test_a_slow_reinvite_is_handled_once_and_hold_then_resume_reach_the_call_in_order(
    listener: Listener,
) -> None:
    """An SBC retransmits a re-INVITE every 500 ms until it hears back; holding the call can take
    longer than that on a busy server. The hold must be applied once, and the resume only after it."""
    listener.calls.state_delay = 0.6
    client = Client(listener.server.port)
    assert client.invite().status == 200
    (call,) = listener.calls.calls
    hold = reinvite_request(client, "inactive")
    assert client.receive().status == 100  # type: ignore[union-attr]
    client.send(hold)  # the client's retransmission while the call is being held
    assert client.receive().status == 100  # type: ignore[union-attr]
    reinvite_request(client, "sendonly")  # a new re-INVITE before the first is answered
    refused = client.final()
    assert refused.status == 500 and refused.cseq[0] == client.cseq
    assert 1 <= int(refused.header("Retry-After") or "0") <= 10
    answered = client.final()
    assert answered.status == 200 and answered.cseq[0] == client.cseq - 1
    client.request("ACK", cseq=client.cseq - 1)
    client.send(hold)  # answered from the response kept for its transaction, not handled again
    assert client.final().status == 200
    assert call.events == ["hold"]
    assert client.reinvite("sendonly").status == 200
    assert call.events == ["hold", "resume"]


def test_a_reinvite_in_progress_when_the_session_ends_gets_487(listener: Listener) -> None:
    listener.calls.state_delay = 0.5
    client = Client(listener.server.port)
    assert client.invite().status == 200
    (call,) = listener.calls.calls
    reinvite_request(client, "inactive")
    assert client.receive().status == 100  # type: ignore[union-attr]
    client.request("BYE")
    answers = {(answer.cseq[1], answer.status) for answer in (client.final(), client.final())}
    assert answers == {("BYE", 200), ("INVITE", 487)}
    wait_until(lambda: call.events == ["hold", "end"])
    assert listener.server.active_sessions == 0


def test_a_hold_the_services_fail_is_a_500_and_the_session_goes_on(listener: Listener) -> None:
    client = Client(listener.server.port)
    assert client.invite().status == 200
    (call,) = listener.calls.calls
    call.state_error = RuntimeError("the database went away")
    assert client.reinvite("inactive").status == 500
    call.state_error = None
    assert client.reinvite("sendonly").status == 200  # the dialog takes the next re-INVITE
    client.request("BYE")
    assert client.final().status == 200
    wait_until(lambda: call.events[-1:] == ["end"])


def test_media_timeout_ends_the_session_with_a_bye(open_source: SipSource) -> None:
    running = Listener(FakeCalls([open_source]), media_timeout=0.5)
    try:
        client = Client(running.server.port)
        assert client.invite().status == 200
        bye = client.receive()
        assert isinstance(bye, SipRequest) and bye.method == "BYE" and bye.call_id == client.call_id
        (call,) = running.calls.calls
        wait_until(lambda: call.events == ["end"])
    finally:
        running.close()


def test_hang_up_through_the_api_sends_bye(listener: Listener) -> None:
    client = Client(listener.server.port)
    assert client.invite().status == 200
    listener.calls.ended[0]()  # the services say: the call was hung up elsewhere
    bye = client.receive()
    assert isinstance(bye, SipRequest) and bye.method == "BYE"
    assert listener.server.active_sessions == 0


def test_cancel_during_set_up_gets_487_and_ends_the_call(listener: Listener) -> None:
    listener.calls.open_delay = 0.5
    client = Client(listener.server.port)
    client.request("CANCEL", cseq=1)
    assert client.final().status == 481  # nothing to cancel yet
    content_type, body = multipart(offer_sdp("127.0.0.1", (41000, 41002)), metadata_xml())
    invite = client.request("INVITE", body=body, content_type=content_type)
    branch = invite.split(b"branch=", 1)[1].split(b"\r\n", 1)[0].decode()
    assert client.receive().status == 100  # type: ignore[union-attr]
    client.request("CANCEL", cseq=client.cseq, branch=branch)
    answers = {client.final().status, client.final().status}
    assert answers == {200, 487}  # 200 for the CANCEL, 487 for the INVITE
    wait_until(lambda: listener.calls.calls[0].events == ["end"])
    assert listener.server.active_sessions == 0


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        unavailable("openssl is not installed: no certificate for the TLS test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_sip_over_tls(open_source: SipSource, certificate: tuple[Path, Path]) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    running = Listener(FakeCalls([open_source]), tls_context=context)
    try:
        assert running.server.tls_port is not None
        client = Client(running.server.tls_port, "TLS")
        client.request("OPTIONS")
        assert client.final().status == 200
        response = client.invite()
        assert response.status == 200
        assert (response.header("Contact") or "").startswith("<sips:srs@127.0.0.1:")
        client.request("BYE")
        assert client.final().status == 200
    finally:
        running.close()
