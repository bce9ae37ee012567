"""A minimal SIPREC client for tests: SIP over UDP or TCP keeping one dialog, and RTP packets."""

from __future__ import annotations

import socket
import ssl
import struct
import time

from callvault.calls.siprec.sip import SipRequest, SipResponse, parse_message
from support.siprec import metadata_xml, multipart, offer_sdp


class Client:
    """A minimal SIP client on UDP, TCP or TLS (any certificate accepted), keeping the dialog's headers."""

    def __init__(self, port: int, transport: str = "UDP") -> None:
        self.transport = transport
        if transport == "UDP":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", 0))
            self.sock.connect(("127.0.0.1", port))
        else:
            self.sock = socket.create_connection(("127.0.0.1", port))
        if transport == "TLS":
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            self.sock = context.wrap_socket(self.sock)
        self.sock.settimeout(5)
        self.local_port = self.sock.getsockname()[1]
        self.call_id = f"{time.monotonic_ns()}@test"
        self.cseq = 0
        self.to_tag: str | None = None
        self._buffer = b""

    def request(
        self,
        method: str,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        cseq: int | None = None,
        branch: str | None = None,
    ) -> bytes:
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        to = "<sip:srs@127.0.0.1>" + (f";tag={self.to_tag}" if self.to_tag else "")
        branch = branch or f"z9hG4bK{time.monotonic_ns()}"
        lines = [
            f"{method} sip:srs@127.0.0.1 SIP/2.0",
            f"Via: SIP/2.0/{self.transport} 127.0.0.1:{self.local_port};branch={branch}",
            "From: <sip:src@127.0.0.1>;tag=src1",
            f"To: {to}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq} {'INVITE' if method == 'ACK' else method}"
            if method != "ACK"
            else f"CSeq: {cseq} ACK",
            f"Contact: <sip:src@127.0.0.1:{self.local_port}>;+sip.src",
            "Max-Forwards: 70",
            *[f"{name}: {value}" for name, value in headers or []],
        ]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        self.send(data)
        return data

    def send(self, data: bytes) -> None:
        self.sock.send(data) if self.transport == "UDP" else self.sock.sendall(data)

    def receive(self) -> SipRequest | SipResponse:
        if self.transport == "UDP":
            return parse_message(self.sock.recv(65535))
        while True:
            head, sep, rest = self._buffer.partition(b"\r\n\r\n")
            if sep:
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                if len(rest) >= length:
                    self._buffer = rest[length:]
                    return parse_message(head + sep + rest[:length])
            self._buffer += self.sock.recv(65535)

    def final(self) -> SipResponse:
        while True:
            message = self.receive()
            if isinstance(message, SipResponse) and message.status >= 200:
                return message

    def invite(
        self,
        sdp: str | None = None,
        metadata: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> SipResponse:
        content_type, body = multipart(
            sdp or offer_sdp("127.0.0.1", (41000, 41002)), metadata or metadata_xml()
        )
        self.request(
            "INVITE", body=body, content_type=content_type, headers=[("Require", "siprec"), *(headers or [])]
        )
        response = self.final()
        if response.status == 200:
            self.to_tag = response.to_tag
            self.request("ACK", cseq=self.cseq)
        return response

    def reinvite(self, direction: str) -> SipResponse:
        self.request(
            "INVITE",
            body=offer_sdp("127.0.0.1", (41000, 41002), direction=direction).encode(),
            content_type="application/sdp",
        )
        response = self.final()
        self.request("ACK", cseq=self.cseq)
        return response


def send_rtp(port: int, packets: list[tuple[int, int, bytes]], ssrc: int, source: str = "127.0.0.1") -> None:
    """PCMU RTP packets (sequence number, timestamp, payload) to `port` on 127.0.0.1, from `source`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        for seq, ts, payload in packets:
            sock.sendto(struct.pack("!BBHII", 0x80, 0, seq, ts, ssrc) + payload, ("127.0.0.1", port))
