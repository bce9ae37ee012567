"""Which SIP source a request belongs to: the precedence of ``domain/sources`` applied to a
request, with the digest challenge and check of :mod:`callvault.calls.siprec.digest`.

A new INVITE: credentials naming a source that covers the sender's address must be right (else
401, never a fall-back to another source); without them, the source without credentials whose
network is the most specific wins; else the sender is challenged. An in-dialog request from an
address other than the one that created the dialog must carry the dialog source's credentials
when that source has any (see ``SipServer``).
"""

from __future__ import annotations

from callvault.calls.siprec.digest import DigestChallenger, DigestCredentials, parse_authorization
from callvault.calls.siprec.sip import SipRequest, Unauthorized
from callvault.domain.sources import SipSource, network_source

__all__ = ["SourceAuthenticator"]


class SourceAuthenticator:
    """Digest challenges and checks for one realm, and the choice of a request's source."""

    def __init__(self, realm: str) -> None:
        self.challenger = DigestChallenger(realm)

    def source_for_invite(self, request: SipRequest, address: str, sources: list[SipSource]) -> SipSource:
        """The source a new INVITE from `address` records into (`sources` cover that address);
        :class:`Unauthorized` with a challenge when it must (again) prove who it is."""
        credentials = _credentials(request)
        if credentials is not None:
            for source in sources:
                if source.username == credentials.username and source.ha1 is not None:
                    return self._verified(request, credentials, source)
        chosen = network_source(sources, address)
        if chosen is not None:
            return chosen
        stale = credentials is not None and not self.challenger.nonce_fresh(credentials.nonce)
        raise self._challenge(stale=stale)

    def require_credentials_of(self, request: SipRequest, source: SipSource) -> None:
        """:class:`Unauthorized` unless `request` carries `source`'s valid credentials."""
        credentials = _credentials(request)
        if credentials is None or credentials.username != source.username:
            raise self._challenge(stale=False)
        self._verified(request, credentials, source)

    def _verified(self, request: SipRequest, credentials: DigestCredentials, source: SipSource) -> SipSource:
        assert source.ha1 is not None
        if not self.challenger.verify(
            credentials, method=request.method, uri=request.uri, body=request.body, stored_ha1=source.ha1
        ):
            raise self._challenge(stale=False)
        if not self.challenger.accept(credentials):  # expired, or a nonce count seen before
            raise self._challenge(stale=True)
        return source

    def _challenge(self, *, stale: bool) -> Unauthorized:
        return Unauthorized(headers=[("WWW-Authenticate", self.challenger.challenge(stale=stale))])


def _credentials(request: SipRequest) -> DigestCredentials | None:
    header = request.header("Authorization")
    return parse_authorization(header) if header else None
