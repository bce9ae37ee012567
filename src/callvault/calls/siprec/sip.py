"""SIP messages (RFC 3261 section 7): parse, frame on a stream, build responses. Pure: no I/O.

Only what a recording server needs, and strict about it: a message that breaks the grammar raises
:class:`SipError` carrying the status to answer with (400 when it is a request we can answer at
all). Header names are case-insensitive and compact forms (``i``, ``f``, ``t``, ``v``, ``m``,
``l``, ``c``, ``k``) are expanded; folded header lines (obsolete since RFC 3261) are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "MAX_MESSAGE_BYTES",
    "SipError",
    "SipMessage",
    "SipRequest",
    "SipResponse",
    "TcpFramer",
    "build_request",
    "build_response",
    "parse_message",
]

MAX_MESSAGE_BYTES = 65535
MAX_HEADERS = 128
SIP_VERSION = "SIP/2.0"

_COMPACT = {
    "i": "call-id",
    "f": "from",
    "t": "to",
    "v": "via",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
    "s": "subject",
}
_CANONICAL = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "content-length": "Content-Length",
    "content-type": "Content-Type",
}
_TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+")
_REQUEST_LINE = re.compile(r"([A-Za-z0-9.!%*_+`'~-]+) (\S+) SIP/2\.0")
_STATUS_LINE = re.compile(r"SIP/2\.0 ([1-6]\d\d) ?(.*)")
_CSEQ = re.compile(r"(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)")
_TAG = re.compile(r";\s*tag=([^;,\s]+)", re.IGNORECASE)


class SipError(ValueError):
    """A malformed or unacceptable message; ``status`` is the SIP response that answers it."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def canonical_name(name: str) -> str:
    lowered = name.strip().lower()
    lowered = _COMPACT.get(lowered, lowered)
    return _CANONICAL.get(lowered, "-".join(part.capitalize() for part in lowered.split("-")))


@dataclass
class SipMessage:
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive, compact forms accepted)."""
        wanted = canonical_name(name)
        for key, value in self.headers:
            if key == wanted:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        wanted = canonical_name(name)
        return [value for key, value in self.headers if key == wanted]

    def require(self, name: str) -> str:
        value = self.header(name)
        if value is None or not value.strip():
            raise SipError(400, f"Missing {canonical_name(name)} header")
        return value.strip()

    @property
    def call_id(self) -> str:
        return self.require("Call-ID")

    @property
    def cseq(self) -> tuple[int, str]:
        match = _CSEQ.fullmatch(self.require("CSeq"))
        if not match:
            raise SipError(400, "Malformed CSeq header")
        return int(match.group(1)), match.group(2).upper()

    @property
    def from_tag(self) -> str | None:
        return tag_of(self.require("From"))

    @property
    def to_tag(self) -> str | None:
        return tag_of(self.require("To"))

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").strip()

    def serialize(self, start_line: str) -> bytes:
        lines = [start_line]
        lines += [f"{name}: {value}" for name, value in self.headers if name != "Content-Length"]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class SipRequest(SipMessage):
    method: str = ""
    uri: str = ""

    def to_bytes(self) -> bytes:
        return self.serialize(f"{self.method} {self.uri} {SIP_VERSION}")


@dataclass
class SipResponse(SipMessage):
    status: int = 200
    reason: str = "OK"

    def to_bytes(self) -> bytes:
        return self.serialize(f"{SIP_VERSION} {self.status} {self.reason}")


def tag_of(name_addr: str) -> str | None:
    """The `tag` parameter of a From/To value (outside the <...> URI)."""
    tail = name_addr.rsplit(">", 1)[-1] if ">" in name_addr else name_addr
    match = _TAG.search(tail)
    return match.group(1) if match else None


def parse_message(data: bytes) -> SipRequest | SipResponse:
    """Parse one whole message (a UDP datagram, or one framed by :class:`TcpFramer`)."""
    message = parse_unchecked(data)
    for required in ("Via", "From", "To", "Call-ID", "CSeq"):
        message.require(required)
    if isinstance(message, SipRequest) and message.cseq[1] != message.method and message.method != "ACK":
        raise SipError(400, "CSeq method does not match the request method")
    return message


def parse_unchecked(data: bytes) -> SipRequest | SipResponse:
    """The start line, headers and body, without checking the headers every message needs: enough
    to answer a broken request with an error echoing what it has."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise SipError(513, "Message Too Large")
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        raise SipError(400, "Message has no empty line after its headers")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise SipError(400, "Headers are not UTF-8") from None
    lines = text.split("\r\n")
    message = _start_line(lines[0])
    if len(lines) - 1 > MAX_HEADERS:
        raise SipError(400, f"More than {MAX_HEADERS} header lines")
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name.strip()) or line[:1] in (" ", "\t"):
            raise SipError(400, f"Malformed header line {line[:40]!r}")
        message.headers.append((canonical_name(name), value.strip()))
    message.body = _body(message, body)
    return message


def _start_line(line: str) -> SipRequest | SipResponse:
    request = _REQUEST_LINE.fullmatch(line)
    if request:
        return SipRequest(method=request.group(1).upper(), uri=request.group(2))
    status = _STATUS_LINE.fullmatch(line)
    if status:
        return SipResponse(status=int(status.group(1)), reason=status.group(2))
    raise SipError(400, f"Malformed start line {line[:60]!r}")


def _body(message: SipMessage, body: bytes) -> bytes:
    declared = message.header("Content-Length")
    if declared is None:
        return body
    if not declared.isdigit():
        raise SipError(400, "Malformed Content-Length")
    length = int(declared)
    if length > len(body):
        raise SipError(400, "Content-Length is larger than the body")
    return body[:length]


class TcpFramer:
    """Splits a TCP byte stream into messages by Content-Length (mandatory on streams)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Messages completed by `data`; raises :class:`SipError` when the stream cannot be framed."""
        self._buffer += data
        messages: list[bytes] = []
        while True:
            while self._buffer.startswith(b"\r\n"):  # keep-alive CRLFs (RFC 5626)
                del self._buffer[:2]
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_MESSAGE_BYTES:
                    raise SipError(513, "Message Too Large")
                return messages
            head = bytes(self._buffer[:end])
            length = _content_length(head)
            total = end + 4 + length
            if total > MAX_MESSAGE_BYTES:
                raise SipError(513, "Message Too Large")
            if len(self._buffer) < total:
                return messages
            messages.append(bytes(self._buffer[:total]))
            del self._buffer[:total]


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            if not value.strip().isdigit():
                raise SipError(400, "Malformed Content-Length")
            return int(value.strip())
    raise SipError(400, "Content-Length is required on a stream transport")


def build_response(
    request: SipRequest,
    status: int,
    reason: str,
    *,
    to_tag: str | None = None,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> SipResponse:
    """A response echoing the request's Via, From, To (with `to_tag` added), Call-ID and CSeq."""
    echoed = [(name, value) for name, value in request.headers if name in ("Via", "From", "Call-ID", "CSeq")]
    to = request.header("To") or ""
    if to_tag and tag_of(to) is None:
        to = f"{to};tag={to_tag}"
    response = SipResponse(status=status, reason=reason, body=body)
    response.headers = [*echoed, ("To", to), ("Server", "callvault"), *(headers or [])]
    return response


def build_request(method: str, uri: str, headers: list[tuple[str, str]], body: bytes = b"") -> SipRequest:
    return SipRequest(method=method, uri=uri, headers=[(canonical_name(n), v) for n, v in headers], body=body)
