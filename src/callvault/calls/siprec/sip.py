"""SIP messages (RFC 3261 section 7): parse, frame on a stream, build responses. Pure: no I/O.

Only what a recording server needs, and strict about it: a message that breaks the grammar raises
a :class:`SipError` (400 when it is a request we can answer at all). Header names are
case-insensitive and compact forms (``i``, ``f``, ``t``, ``v``, ``m``, ``l``, ``c``, ``k``) are
expanded; folded header lines (obsolete since RFC 3261) are refused.

Every refusal is one exception class per SIP status (:class:`BadRequest` 400 ... :class:`MessageTooLarge`
513), and :func:`error_response` is the one place that turns one into a response: its reason is
the status phrase with the detail in parentheses, never more than ``MAX_REASON`` characters, and
never an internal exception's text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

__all__ = [
    "MAX_MESSAGE_BYTES",
    "BadExtension",
    "BadRequest",
    "CallDoesNotExist",
    "Forbidden",
    "MessageTooLarge",
    "MethodNotAllowed",
    "NotAcceptableHere",
    "RequestTerminated",
    "ServerInternalError",
    "ServiceUnavailable",
    "SipError",
    "SipMessage",
    "SipRequest",
    "SipResponse",
    "TcpFramer",
    "Unauthorized",
    "UnsupportedMediaType",
    "build_request",
    "build_response",
    "canonical_name",
    "error_response",
    "parse_head",
    "parse_message",
    "tag_of",
]

MAX_MESSAGE_BYTES = 65535
MAX_HEADERS = 128
MAX_REASON = 120
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
    """A request callvault refuses; the subclass says with which status (see :func:`error_response`)."""

    status: ClassVar[int] = 400
    phrase: ClassVar[str] = "Bad Request"

    def __init__(self, detail: str = "", *, headers: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(detail or self.phrase)
        self.detail = detail
        self.headers = list(headers)

    @property
    def reason(self) -> str:
        """The response's reason phrase: the status phrase, with the detail when there is one."""
        return (f"{self.phrase} ({self.detail})" if self.detail else self.phrase)[:MAX_REASON]


class BadRequest(SipError):
    status, phrase = 400, "Bad Request"


class Unauthorized(SipError):
    """401: carries the digest challenge (``WWW-Authenticate``) in its headers."""

    status, phrase = 401, "Unauthorized"


class Forbidden(SipError):
    status, phrase = 403, "Forbidden"


class MethodNotAllowed(SipError):
    status, phrase = 405, "Method Not Allowed"


class UnsupportedMediaType(SipError):
    status, phrase = 415, "Unsupported Media Type"


class BadExtension(SipError):
    status, phrase = 420, "Bad Extension"


class CallDoesNotExist(SipError):
    status, phrase = 481, "Call/Transaction Does Not Exist"


class RequestTerminated(SipError):
    status, phrase = 487, "Request Terminated"


class NotAcceptableHere(SipError):
    status, phrase = 488, "Not Acceptable Here"


class ServerInternalError(SipError):
    status, phrase = 500, "Server Internal Error"


class ServiceUnavailable(SipError):
    status, phrase = 503, "Service Unavailable"


class MessageTooLarge(SipError):
    status, phrase = 513, "Message Too Large"


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
            raise BadRequest(f"Missing {canonical_name(name)} header")
        return value.strip()

    @property
    def call_id(self) -> str:
        return self.require("Call-ID")

    @property
    def cseq(self) -> tuple[int, str]:
        match = _CSEQ.fullmatch(self.require("CSeq"))
        if not match:
            raise BadRequest("Malformed CSeq header")
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
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge()
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        raise BadRequest("Message has no empty line after its headers")
    message = parse_head(head)
    message.body = _body(message, body)
    for required in ("Via", "From", "To", "Call-ID", "CSeq"):
        message.require(required)
    if isinstance(message, SipRequest) and message.cseq[1] != message.method and message.method != "ACK":
        raise BadRequest("CSeq method does not match the request method")
    return message


def parse_head(head: bytes) -> SipRequest | SipResponse:
    """The start line and headers (no body, nothing checked that every message needs): enough to
    answer a broken request with an error echoing what it has."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("Headers are not UTF-8") from None
    lines = text.split("\r\n")
    message = _start_line(lines[0])
    if len(lines) - 1 > MAX_HEADERS:
        raise BadRequest(f"More than {MAX_HEADERS} header lines")
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name.strip()) or line[:1] in (" ", "\t"):
            raise BadRequest(f"Malformed header line {line[:40]!r}")
        message.headers.append((canonical_name(name), value.strip()))
    return message


def _start_line(line: str) -> SipRequest | SipResponse:
    request = _REQUEST_LINE.fullmatch(line)
    if request:
        return SipRequest(method=request.group(1).upper(), uri=request.group(2))
    status = _STATUS_LINE.fullmatch(line)
    if status:
        return SipResponse(status=int(status.group(1)), reason=status.group(2))
    raise BadRequest(f"Malformed start line {line[:60]!r}")


def _body(message: SipMessage, body: bytes) -> bytes:
    declared = message.header("Content-Length")
    if declared is None:
        return body
    if not declared.isdigit():
        raise BadRequest("Malformed Content-Length")
    length = int(declared)
    if length > len(body):
        raise BadRequest("Content-Length is larger than the body")
    return body[:length]


class TcpFramer:
    """Splits a TCP byte stream into messages by Content-Length (mandatory on streams)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes of a message begun but not complete yet."""
        return len(self._buffer)

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
                    raise MessageTooLarge()
                return messages
            head = bytes(self._buffer[:end])
            length = _content_length(head)
            total = end + 4 + length
            if total > MAX_MESSAGE_BYTES:
                raise MessageTooLarge()
            if len(self._buffer) < total:
                return messages
            messages.append(bytes(self._buffer[:total]))
            del self._buffer[:total]


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            if not value.strip().isdigit():
                raise BadRequest("Malformed Content-Length")
            return int(value.strip())
    raise BadRequest("Content-Length is required on a stream transport")


def build_response(
    request: SipRequest,
    status: int,
    reason: str,
    *,
    to_tag: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
) -> SipResponse:
    """A response echoing the request's Via, From, To (with `to_tag` added), Call-ID and CSeq."""
    echoed = [(name, value) for name, value in request.headers if name in ("Via", "From", "Call-ID", "CSeq")]
    to = request.header("To") or ""
    if to_tag and tag_of(to) is None:
        to = f"{to};tag={to_tag}"
    response = SipResponse(status=status, reason=reason, body=body)
    response.headers = [*echoed, ("To", to), ("Server", "callvault"), *headers]
    return response


def error_response(exc: SipError, request: SipRequest | None = None) -> SipResponse:
    """The response that refuses `request` for `exc` (the one place a refusal becomes a response);
    without a request (a stream that cannot be framed) it carries only its status line."""
    if request is None:
        return SipResponse(status=exc.status, reason=exc.reason, headers=list(exc.headers))
    return build_response(request, exc.status, exc.reason, headers=exc.headers)


def build_request(method: str, uri: str, headers: list[tuple[str, str]], body: bytes = b"") -> SipRequest:
    return SipRequest(method=method, uri=uri, headers=[(canonical_name(n), v) for n, v in headers], body=body)
