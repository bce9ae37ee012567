"""The SIP listener against a hostile network and careless SBCs (issue 20): bounded connections and
response cache, ports only for accepted streams, hold and session limits, digest that cannot be
replayed, dialogs tied to their source, which source an INVITE records into, and the answers a
broken request still deserves. The listener runs on real sockets with the use cases faked
(support.sip_listener); test_flood_against_a_real_server drives `callvault serve --sip`."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from callvault.api.sip.responses import ResponseCache
from callvault.api.sip.server import CALL_ID_HEADER
from callvault.api.sip.transport import UDP_RECEIVE_BUFFER_BYTES, ConnectionLimits
from callvault.calls.siprec.digest import ha1
from callvault.calls.siprec.sip import SipRequest, SipResponse
from callvault.domain.sources import SipSource
from support.server import ServerFactory
from support.sip_client import Client
from support.sip_listener import FakeCalls, Listener, answered_ports, wait_until
from support.siprec import metadata_xml, multipart, offer_sdp, run_cli

PARTIAL = b"OPTIONS sip:x SIP/2.0\r\nVia: "
SHORT_BODY = (
    b"OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5;branch=z9hG4bK1\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:srs@127.0.0.1>\r\nCall-ID: short@test\r\nCSeq: 1 OPTIONS\r\n"
    b"Content-Length: 500\r\n\r\nonly this"
)
LOCAL = SipSource("local", "9900000", ("127.0.0.0/24",))
SBC = SipSource("sbc", "9900002", (), username="sbc1", ha1=ha1("sbc1", "callvault", "s3cret-pass"))


@pytest.fixture
def running() -> Iterator[list[Listener]]:
    listeners: list[Listener] = []
    yield listeners
    for listener in listeners:
        listener.close()


def start(running: list[Listener], sources: list[SipSource], **kwargs: object) -> Listener:
    listener = Listener(FakeCalls(sources), **kwargs)
    running.append(listener)
    return listener


def client_from(address: str, port: int) -> Client:
    """A UDP client sending from `address` (any 127/8 address is this machine)."""
    client = Client(port)
    client.sock.close()
    client.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.sock.bind((address, 0))
    client.sock.connect(("127.0.0.1", port))
    client.sock.settimeout(5)
    client.local_port = client.sock.getsockname()[1]
    return client


def connect(port: int, source: str, data: bytes = b"") -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.settimeout(30)
    sock.connect(("127.0.0.1", port))
    if data:
        sock.sendall(data)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed `sock` (waits for it as long as the socket's timeout)."""
    try:
        return sock.recv(1000) == b""
    except ConnectionResetError:
        return True


# --- connections ------------------------------------------------------------------------------------


def test_connections_are_capped_and_strangers_closed_at_accept(running: list[Listener]) -> None:
    limits = ConnectionLimits(max_connections=120, max_per_address=40, message_timeout=60, idle_timeout=60)
    listener = start(running, [LOCAL], connections=limits)
    port = listener.server.port
    stranger = connect(port, "127.0.1.1")
    assert closed_by_server(stranger)
    kept = [connect(port, f"127.0.0.{2 + i // 40}", PARTIAL if i % 2 else b"") for i in range(120)]
    wait_until(lambda: listener.server.connections == 120, timeout=30)
    over_address = connect(port, "127.0.0.2")
    over_total = connect(port, "127.0.0.9")
    assert closed_by_server(over_address) and closed_by_server(over_total)
    assert listener.server.connections == 120
    options = Client(port)  # UDP is not held up
    options.request("OPTIONS")
    assert options.final().status == 200
    for sock in [stranger, over_address, over_total, *kept]:
        sock.close()
    wait_until(lambda: listener.server.connections == 0, timeout=30)
    tcp = Client(port, "TCP")
    assert tcp.invite().status == 200


def test_partial_idle_and_short_messages_are_closed_but_a_session_connection_stays(
    running: list[Listener],
) -> None:
    limits = ConnectionLimits(max_connections=500, max_per_address=500, message_timeout=0.5, idle_timeout=1.0)
    listener = start(running, [LOCAL], connections=limits)
    port = listener.server.port
    session = Client(port, "TCP")
    assert session.invite().status == 200
    flood = [connect(port, "127.0.0.3", (PARTIAL, b"", SHORT_BODY)[i % 3]) for i in range(300)]
    assert all(closed_by_server(sock) for sock in flood)
    wait_until(lambda: listener.server.connections == 1, timeout=30)
    session.request("BYE")  # its connection outlived the idle timeout: it carries a session
    assert session.final().status == 200
    for sock in flood:
        sock.close()


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_a_failing_handler_does_not_stop_the_listener(running: list[Listener], transport: str) -> None:
    listener = start(running, [LOCAL])
    client = Client(listener.server.port, transport)
    wait_until(lambda: listener.server.connections == (transport == "TCP"))
    listener.calls.failing_lookups = 1
    client.request("OPTIONS")  # its source lookup raises: logged, unanswered
    client.request("OPTIONS")
    answer = client.final()
    assert answer.status == 200 and answer.cseq == (2, "OPTIONS")


# --- the response cache -------------------------------------------------------------------------------


def test_response_cache_is_bounded_in_entries_and_bytes() -> None:
    cache = ResponseCache(max_entries=3, max_bytes=100)
    requests = [
        SipRequest(
            method="OPTIONS",
            uri="sip:x",
            headers=[("Via", f"SIP/2.0/UDP a;branch=b{i}"), ("Call-ID", f"c{i}"), ("CSeq", "1 OPTIONS")],
        )
        for i in range(6)
    ]
    for index, request in enumerate(requests[:5]):
        cache.put(request, b"x" * 10, now=float(index))
    assert len(cache) == 3 and cache.get(requests[0]) is None and cache.get(requests[4]) == b"x" * 10
    cache.put(requests[5], b"y" * 95, now=5.0)
    assert cache.bytes <= 100 and cache.get(requests[5]) == b"y" * 95
    cache.expire(now=1000.0)
    assert len(cache) == 0 and cache.bytes == 0


def test_strangers_are_not_cached_and_large_headers_not_echoed(running: list[Listener]) -> None:
    listener = start(running, [LOCAL], responses=ResponseCache(max_entries=10))
    stranger = client_from("127.0.1.1", listener.server.port)
    for _ in range(50):
        stranger.call_id = f"{time.monotonic_ns()}@flood"
        stranger.request("OPTIONS")
        assert stranger.final().status == 403
    assert len(listener.server.cached_responses) == 0
    stranger.request("OPTIONS", headers=[("From", "<sip:x@y>;tag=" + "a" * 2000)])  # not answered
    stranger.call_id = "small@flood"
    stranger.request("OPTIONS")
    assert stranger.final().call_id == "small@flood"
    known = Client(listener.server.port)
    for _ in range(50):
        known.request("OPTIONS")
        assert known.final().status == 200
    assert len(listener.server.cached_responses) <= 10


# --- streams, hold and session limits ---------------------------------------------------------------------


def one_audio_seven_video(direction: str = "inactive") -> str:
    lines = ["v=0", "o=SRC 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0"]
    lines += ["m=audio 41000 RTP/AVP 0", "a=rtpmap:0 PCMU/8000", "a=label:1", f"a={direction}"]
    for index in range(7):
        lines += [f"m=video {42000 + 2 * index} RTP/AVP 96", "a=rtpmap:96 H264/90000"]
    return "\r\n".join(lines) + "\r\n"


def test_refused_lines_take_no_ports(running: list[Listener]) -> None:
    listener = start(running, [LOCAL], rtp_ports=20)  # 10 RTP/RTCP pairs
    for _ in range(6):
        response = Client(listener.server.port).invite(sdp=one_audio_seven_video())
        assert response.status == 200, response.reason
        ports = answered_ports(response)
        assert len(ports) == 8 and ports[0] != 0 and ports[1:] == [0] * 7
    assert [call.events for call in listener.calls.calls] == [["hold"]] * 6


def test_a_session_held_too_long_is_ended_with_a_bye(running: list[Listener]) -> None:
    listener = start(running, [LOCAL], max_hold=0.5)
    client = Client(listener.server.port)
    assert client.invite(sdp=offer_sdp("127.0.0.1", (41000, 41002), direction="inactive")).status == 200
    bye = client.receive()
    assert isinstance(bye, SipRequest) and bye.method == "BYE"
    wait_until(lambda: listener.calls.calls[0].events == ["hold", "end"])


def test_a_session_longer_than_the_maximum_is_ended_with_a_bye(running: list[Listener]) -> None:
    listener = start(running, [LOCAL], max_session_length=1.0, media_timeout=60.0)
    client = Client(listener.server.port)
    assert client.invite().status == 200
    bye = client.receive()
    assert isinstance(bye, SipRequest) and bye.method == "BYE"
    wait_until(lambda: listener.calls.calls[0].events == ["end"])


def test_recvonly_counts_as_held(running: list[Listener]) -> None:
    listener = start(running, [LOCAL])
    client = Client(listener.server.port)
    assert client.invite().status == 200
    answer = client.reinvite("recvonly")
    assert answer.status == 200 and answer.body.decode().count("a=inactive") == 2
    assert listener.calls.calls[0].events == ["hold"]


# --- digest ---------------------------------------------------------------------------------------------


def nonce_of(challenge: str) -> str:
    return challenge.split('nonce="', 1)[1].split('"', 1)[0]


def authorization(
    nonce: str,
    *,
    nc: int = 1,
    uri: str = "sip:srs@127.0.0.1",
    qop: str = "auth",
    body: bytes = b"",
    password: str = "s3cret-pass",
) -> str:
    ha2_text = f"INVITE:{uri}" + (f":{hashlib.md5(body).hexdigest()}" if qop == "auth-int" else "")
    h2 = hashlib.md5(ha2_text.encode()).hexdigest()
    response = hashlib.md5(
        f"{ha1('sbc1', 'callvault', password)}:{nonce}:{nc:08x}:abc:{qop}:{h2}".encode()
    ).hexdigest()
    return (
        f'Digest username="sbc1", realm="callvault", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", qop={qop}, nc={nc:08x}, cnonce="abc"'
    )


def challenge(listener: Listener) -> str:
    response = Client(listener.server.port).invite()
    assert response.status == 401
    return response.header("WWW-Authenticate") or ""


def test_a_captured_authorization_cannot_be_replayed(running: list[Listener]) -> None:
    listener = start(running, [SBC])
    port = listener.server.port
    offered = challenge(listener)
    assert 'qop="auth,auth-int"' in offered
    captured = authorization(nonce_of(offered))
    assert Client(port).invite(headers=[("Authorization", captured)]).status == 200
    for replayer in (Client(port), client_from("127.0.0.2", port)):  # new Call-ID, same and other address
        again = replayer.invite(headers=[("Authorization", captured)])
        assert again.status == 401 and "stale=true" in (again.header("WWW-Authenticate") or "")
    assert len(listener.calls.calls) == 1
    next_count = authorization(nonce_of(offered), nc=2)  # the client's own next request on that nonce
    assert Client(port).invite(headers=[("Authorization", next_count)]).status == 200


def test_digest_uri_must_be_the_request_uri_and_auth_int_covers_the_body(running: list[Listener]) -> None:
    listener = start(running, [SBC])
    port = listener.server.port
    elsewhere = authorization(nonce_of(challenge(listener)), uri="sip:other@127.0.0.1")
    assert Client(port).invite(headers=[("Authorization", elsewhere)]).status == 401
    _, body = multipart(offer_sdp("127.0.0.1", (41000, 41002)), metadata_xml())
    integrity = authorization(nonce_of(challenge(listener)), qop="auth-int", body=body)
    assert Client(port).invite(headers=[("Authorization", integrity)]).status == 200
    other_sdp = offer_sdp("127.0.0.9", (41000, 41002))
    tampered = authorization(nonce_of(challenge(listener)), qop="auth-int", body=body)
    assert Client(port).invite(sdp=other_sdp, headers=[("Authorization", tampered)]).status == 401
    assert len(listener.calls.calls) == 1


def test_in_dialog_requests_from_another_address_must_prove_the_source(running: list[Listener]) -> None:
    listener = start(running, [SBC])
    port = listener.server.port
    owner = Client(port)
    assert (
        owner.invite(headers=[("Authorization", authorization(nonce_of(challenge(listener))))]).status == 200
    )
    intruder = client_from("127.0.0.2", port)
    intruder.call_id, intruder.to_tag, intruder.cseq = owner.call_id, owner.to_tag, 10
    intruder.request("BYE")
    assert intruder.final().status == 401
    assert intruder.reinvite("inactive").status == 401
    assert listener.calls.calls[0].events == []
    owner.request("BYE")
    assert owner.final().status == 200
    wait_until(lambda: listener.calls.calls[0].events == ["end"])


# --- which source ----------------------------------------------------------------------------------------


def test_credentials_then_the_most_specific_network_decide_the_source(running: list[Listener]) -> None:
    wide = SipSource("wide", "9900000", ("127.0.0.0/8",))
    narrow = SipSource("narrow", "9900003", ("127.0.0.1/32",))
    listener = start(running, [wide, SBC, narrow])
    port = listener.server.port
    assert Client(port).invite().status == 200  # no credentials: the most specific network
    foreign_nonce = Client(port).invite(headers=[("Authorization", authorization("1.2.3"))])
    assert foreign_nonce.status == 401  # the SBC's user name: never waved through by the network
    nonce = nonce_of(foreign_nonce.header("WWW-Authenticate") or "")
    assert Client(port).invite(headers=[("Authorization", authorization(nonce))]).status == 200
    wrong = Client(port).invite(headers=[("Authorization", authorization(nonce, nc=2, password="wrong-pw"))])
    assert wrong.status == 401
    assert [source.name for source in listener.calls.opened_for] == ["narrow", "sbc"]


# --- answers ---------------------------------------------------------------------------------------------


def test_udp_request_shorter_than_its_content_length_gets_400(running: list[Listener]) -> None:
    listener = start(running, [LOCAL])
    client = Client(listener.server.port)
    client.send(SHORT_BODY.replace(b"TCP", b"UDP"))
    answer = client.final()
    assert answer.status == 400 and "Content-Length" in answer.reason


def test_the_200_names_the_callvault_call_and_a_500_names_nothing_internal(running: list[Listener]) -> None:
    listener = start(running, [LOCAL])
    client = Client(listener.server.port)
    assert client.invite().header(CALL_ID_HEADER) == "c-0"
    listener.calls.open_error = RuntimeError("secret internals")
    failed = Client(listener.server.port).invite()
    assert (failed.status, failed.reason) == (500, "Server Internal Error")


# --- a real server -----------------------------------------------------------------------------------------


def test_flood_against_a_real_server(server_factory: ServerFactory, tmp_path: object) -> None:
    low = 25000 + (os.getpid() % 300) * 20
    server = server_factory(
        tmp_path / "data",  # type: ignore[operator]
        sip=True,
        env_overrides={
            "CALLVAULT_SIP_RTP_PORTS": f"{low}-{low + 19}",
            "CALLVAULT_SIP_MAX_CONNECTIONS": "100",
            "CALLVAULT_SIP_MAX_CONNECTIONS_PER_ADDRESS": "60",
            "CALLVAULT_SIP_MESSAGE_TIMEOUT": "1s",
            "CALLVAULT_SIP_IDLE_TIMEOUT": "2s",
        },
    )
    assert server.sip_port is not None
    sip_port = server.sip_port
    run_cli(server.env, server.data_dir, "sip-sources", "add", "local", "--account", server.account_id,
            "--network", "127.0.0.0/24")  # fmt: skip
    stranger = connect(sip_port, "127.0.1.1")
    flood = [connect(sip_port, f"127.0.0.{1 + i // 60}", PARTIAL if i % 2 else b"") for i in range(300)]
    assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200
    client = Client(sip_port)
    response = client.invite()
    assert response.status == 200, response.reason
    call_id = response.header(CALL_ID_HEADER)
    with server.client() as api:
        assert api.get(f"/accounts/{server.account_id}/calls/{call_id}").status_code == 200
    assert closed_by_server(stranger)
    assert all(closed_by_server(sock) for sock in flood)  # refused at accept, or timed out
    client.request("BYE")
    assert client.final().status == 200
    for sock in [stranger, *flood]:
        sock.close()


def test_a_burst_of_signalling_while_the_loop_is_busy_is_queued_not_dropped(running: list[Listener]) -> None:
    """1,000 OPTIONS (~430 KB) arrive while the listener's event loop is blocked: the kernel queues
    them all for the UDP socket, and every one is answered once the loop runs. At the default receive
    buffer (~208 KiB) the kernel dropped most of them: BYEs lost this way left sessions running."""
    rmem_max = int(Path("/proc/sys/net/core/rmem_max").read_text())
    if rmem_max < UDP_RECEIVE_BUFFER_BYTES:
        pytest.skip(f"net.core.rmem_max is {rmem_max}: the kernel caps the buffer below what is asked")
    listener = start(running, [LOCAL])
    client = Client(listener.server.port)
    client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER_BYTES)
    burst = 1000
    released = threading.Event()
    listener.loop.call_soon_threadsafe(released.wait, 30)  # the loop is busy until released
    for number in range(burst):
        client.request("OPTIONS", cseq=number + 1, branch=f"z9hG4bKburst{number}")
    released.set()
    answered = set()
    client.sock.settimeout(10)
    while len(answered) < burst:
        response = client.receive()
        assert isinstance(response, SipResponse) and response.status == 200
        answered.add(response.cseq[0])
    assert answered == set(range(1, burst + 1))
