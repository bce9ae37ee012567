"""SIP message parsing, TCP framing and responses (callvault.calls.siprec.sip)."""

from __future__ import annotations

import pytest

from callvault.calls.siprec.sip import (
    SipError,
    SipRequest,
    SipResponse,
    TcpFramer,
    build_response,
    parse_message,
)

INVITE = (
    b"INVITE sip:srs@127.0.0.1:5060 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1\r\n"
    b"v: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-2\r\n"
    b"f: <sip:src@10.0.0.1>;tag=abc\r\n"
    b"To: <sip:srs@127.0.0.1>\r\n"
    b"i: call-1@10.0.0.1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Content-Type: application/sdp\r\n"
    b"l: 4\r\n"
    b"\r\n"
    b"v=0\r\nextra"
)


def test_request_with_compact_headers_and_content_length() -> None:
    message = parse_message(INVITE)
    assert isinstance(message, SipRequest)
    assert message.method == "INVITE" and message.uri == "sip:srs@127.0.0.1:5060"
    assert message.call_id == "call-1@10.0.0.1"
    assert message.cseq == (1, "INVITE")
    assert message.from_tag == "abc" and message.to_tag is None
    assert message.header_values("via") == [
        "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1",
        "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-2",
    ]
    assert message.body == b"v=0\r"


def test_response_echoes_dialog_headers_and_adds_the_to_tag() -> None:
    request = parse_message(INVITE)
    assert isinstance(request, SipRequest)
    response = build_response(request, 200, "OK", to_tag="srs1", body=b"x")
    parsed = parse_message(response.to_bytes())
    assert isinstance(parsed, SipResponse) and parsed.status == 200
    assert parsed.header_values("Via") == request.header_values("Via")
    assert parsed.to_tag == "srs1" and parsed.from_tag == "abc"
    assert parsed.cseq == (1, "INVITE") and parsed.body == b"x"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"garbage", 400),
        (b"INVITE sip:x SIP/2.0\r\nVia: a\r\n\r\n", 400),  # no From/To/Call-ID/CSeq
        (INVITE.replace(b"CSeq: 1 INVITE", b"CSeq: one INVITE"), 400),
        (INVITE.replace(b"CSeq: 1 INVITE", b"CSeq: 1 BYE"), 400),
        (INVITE.replace(b"l: 4", b"l: 400"), 400),
        (INVITE.replace(b"To: <sip", b" To: <sip"), 400),  # folded line
        (b"INVITE sip:x SIP/2.0\r\n" + b"X: " + b"a" * 70000 + b"\r\n\r\n", 513),
        (INVITE.replace(b"Via:", b"V\xffia:"), 400),
    ],
)
def test_malformed_messages_carry_the_status_to_answer(data: bytes, status: int) -> None:
    with pytest.raises(SipError) as error:
        parse_message(data)
    assert error.value.status == status


def test_tcp_framer_splits_on_content_length_and_skips_keepalives() -> None:
    framer = TcpFramer()
    whole = INVITE.replace(b"l: 4", b"l: 10")
    stream = b"\r\n\r\n" + whole + whole
    messages = []
    for index in range(0, len(stream), 7):
        messages += framer.feed(stream[index : index + 7])
    assert len(messages) == 2
    assert all(parse_message(m).body == b"v=0\r\nextra" for m in messages)


def test_tcp_framer_requires_content_length() -> None:
    with pytest.raises(SipError):
        TcpFramer().feed(INVITE.replace(b"l: 4\r\n", b""))
