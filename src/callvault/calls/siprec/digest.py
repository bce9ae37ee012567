"""SIP digest authentication (RFC 3261 section 22, RFC 2617 MD5 with ``qop=auth``). Pure.

Nonces are stateless: ``<unix time>.<HMAC of it>`` under a per-process secret, valid for
``NONCE_SECONDS``, so a challenge costs no storage. Credentials are kept as HA1 =
MD5(username:realm:password), as SIP servers conventionally store them: the password itself is
never stored, and HA1 is only good for this realm.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

__all__ = ["DigestChallenger", "DigestCredentials", "ha1", "parse_authorization"]

NONCE_SECONDS = 300.0
_PARAM = re.compile(r'\s*([A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]+)\s*(?:,|$)')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def ha1(username: str, realm: str, password: str) -> str:
    return _md5(f"{username}:{realm}:{password}")


@dataclass(frozen=True)
class DigestCredentials:
    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    qop: str | None = None
    nc: str | None = None
    cnonce: str | None = None
    algorithm: str = "MD5"


def parse_authorization(value: str) -> DigestCredentials | None:
    """The digest parameters of an Authorization header; None when it is not a well-formed digest."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    params: dict[str, str] = {}
    position = 0
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if not match or match.end() == position:
            return None
        raw = match.group(2)
        params[match.group(1).lower()] = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
        position = match.end()
    try:
        return DigestCredentials(
            username=params["username"],
            realm=params["realm"],
            nonce=params["nonce"],
            uri=params["uri"],
            response=params["response"].lower(),
            qop=params.get("qop"),
            nc=params.get("nc"),
            cnonce=params.get("cnonce"),
            algorithm=params.get("algorithm", "MD5"),
        )
    except KeyError:
        return None


class DigestChallenger:
    """Issues challenges and checks answers for one realm."""

    def __init__(self, realm: str, secret: bytes | None = None) -> None:
        self.realm = realm
        self._secret = secret or secrets.token_bytes(32)

    def challenge(self, *, stale: bool = False) -> str:
        """A WWW-Authenticate header value."""
        stamp = str(int(time.time()))
        nonce = f"{stamp}.{self._sign(stamp)}"
        header = f'Digest realm="{self.realm}", nonce="{nonce}", algorithm=MD5, qop="auth"'
        return header + (", stale=true" if stale else "")

    def nonce_fresh(self, nonce: str) -> bool:
        stamp, _, signature = nonce.partition(".")
        if not stamp.isdigit() or not hmac.compare_digest(signature, self._sign(stamp)):
            return False
        return 0 <= time.time() - int(stamp) <= NONCE_SECONDS

    def verify(self, credentials: DigestCredentials, method: str, stored_ha1: str) -> bool:
        """Whether `credentials` answer a challenge of ours for `method` with the right password."""
        if credentials.realm != self.realm or credentials.algorithm.upper() != "MD5":
            return False
        ha2 = _md5(f"{method}:{credentials.uri}")
        if credentials.qop is None:
            expected = _md5(f"{stored_ha1}:{credentials.nonce}:{ha2}")
        elif credentials.qop == "auth" and credentials.nc and credentials.cnonce:
            expected = _md5(
                f"{stored_ha1}:{credentials.nonce}:{credentials.nc}:{credentials.cnonce}:auth:{ha2}"
            )
        else:
            return False
        return hmac.compare_digest(expected, credentials.response)

    def _sign(self, stamp: str) -> str:
        return hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:32]
