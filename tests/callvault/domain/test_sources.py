"""Which SIP source an address belongs to, and which new sources would make that ambiguous
(callvault.domain.sources)."""

from __future__ import annotations

from callvault.domain.sources import SipSource, network_source, overlapping_sources, shared_networks

WIDE = SipSource("wide", "1", ("10.0.0.0/8",))
NARROW = SipSource("narrow", "2", ("10.1.0.0/16", "192.0.2.7/32"))
CREDENTIALS = SipSource("creds", "3", (), username="u", ha1="x")
SIX = SipSource("six", "4", ("2001:db8::/32",))


def test_the_most_specific_network_without_credentials_wins() -> None:
    sources = [WIDE, NARROW, CREDENTIALS, SIX]
    assert network_source(sources, "10.1.2.3") is NARROW
    assert network_source(sources, "10.2.0.1") is WIDE
    assert network_source(sources, "2001:db8::1") is SIX
    assert network_source(sources, "172.16.0.1") is None  # only the credentials source covers it
    assert CREDENTIALS.specificity("172.16.0.1") == -1 and WIDE.specificity("not an address") is None


def test_shared_and_overlapping_networks() -> None:
    again = SipSource("again", "5", ("10.0.0.0/8",))
    assert shared_networks(again, [WIDE, NARROW]) == [(WIDE, "10.0.0.0/8")]
    assert shared_networks(SipSource("c", "5", ("10.0.0.0/8",), username="v", ha1="y"), [WIDE]) == []
    assert overlapping_sources(SipSource("n", "5", ("10.1.2.0/24",)), [WIDE, NARROW, CREDENTIALS, SIX]) == [
        WIDE,
        NARROW,
        CREDENTIALS,
    ]
