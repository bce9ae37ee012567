"""SIP digest authentication (callvault.calls.siprec.digest), checked against RFC 2617's own example."""

from __future__ import annotations

import hashlib

from callvault.calls.siprec.digest import DigestChallenger, ha1, parse_authorization


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def answer(challenger: DigestChallenger, user: str, password: str, method: str, uri: str) -> str:
    header = challenger.challenge()
    nonce = header.split('nonce="', 1)[1].split('"', 1)[0]
    h1, h2 = ha1(user, challenger.realm, password), md5(f"{method}:{uri}")
    response = md5(f"{h1}:{nonce}:00000001:0a4f113b:auth:{h2}")
    return (
        f'Digest username="{user}", realm="{challenger.realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", qop=auth, nc=00000001, cnonce="0a4f113b", algorithm=MD5'
    )


def test_rfc2617_example_response() -> None:
    credentials = parse_authorization(
        'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
        'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", '
        'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    assert credentials is not None
    checker = DigestChallenger("testrealm@host.com")
    request = {"uri": "/dir/index.html", "body": b""}
    assert checker.verify(
        credentials, method="GET", stored_ha1=ha1("Mufasa", "testrealm@host.com", "Circle Of Life"), **request
    )
    assert not checker.verify(
        credentials, method="GET", stored_ha1=ha1("Mufasa", "testrealm@host.com", "wrong"), **request
    )
    assert not checker.verify(
        credentials,
        method="POST",
        stored_ha1=ha1("Mufasa", "testrealm@host.com", "Circle Of Life"),
        **request,
    )


def test_own_challenge_round_trip_and_foreign_nonces() -> None:
    challenger = DigestChallenger("callvault")
    header = answer(challenger, "sbc1", "s3cret-pass", "INVITE", "sip:srs@127.0.0.1")
    credentials = parse_authorization(header)
    assert credentials is not None
    assert challenger.nonce_fresh(credentials.nonce)
    assert challenger.verify(
        credentials,
        method="INVITE",
        uri="sip:srs@127.0.0.1",
        body=b"",
        stored_ha1=ha1("sbc1", "callvault", "s3cret-pass"),
    )
    assert not DigestChallenger("callvault").nonce_fresh(credentials.nonce)  # another secret
    assert not challenger.nonce_fresh("123.abc")


def test_malformed_authorization_headers() -> None:
    assert parse_authorization("Basic abc") is None
    assert parse_authorization('Digest username="a"') is None
    assert parse_authorization('Digest username="a", realm') is None
