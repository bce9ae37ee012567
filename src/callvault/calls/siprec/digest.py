"""SIP digest authentication (RFC 3261 section 22, RFC 2617 / RFC 7616 MD5 with ``qop=auth`` or
``auth-int``). Pure but for the clock and a bounded in-memory table.

Nonces are ``<issued ms>.<random>.<HMAC of both>`` under a per-process secret, valid for
``NONCE_SECONDS``: a challenge costs no storage, and only this process accepts its nonces. What
stops a captured ``Authorization`` header from being replayed is the table of nonces in use
(:meth:`DigestChallenger.accept`): with ``qop`` each request must carry a nonce count above the
last one seen for its nonce (RFC 7616 section 3.4.5); without ``qop`` (RFC 2069 clients) a nonce is
good for one request. The table keeps at most ``max_tracked`` nonces; one pushed out raises a
watermark, and a nonce issued at or before it that the table does not know counts as stale (the
client is challenged afresh, never let through). The digest's ``uri`` must be the request's.

Credentials are kept as HA1 = MD5(username:realm:password), as SIP servers conventionally store
them: the password itself is never stored, and HA1 is only good for this realm.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DigestChallenger", "DigestCredentials", "ha1", "parse_authorization"]

NONCE_SECONDS = 300.0
MAX_TRACKED_NONCES = 10_000
_NONCE_COUNT = re.compile(r"[0-9a-fA-F]{8}")
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
    """Issues challenges and checks answers for one realm (see the module docstring)."""

    def __init__(
        self,
        realm: str,
        secret: bytes | None = None,
        *,
        max_tracked: int = MAX_TRACKED_NONCES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.realm = realm
        self._secret = secret or secrets.token_bytes(32)
        self._max_tracked = max_tracked
        self._clock = clock
        self._in_use: OrderedDict[str, tuple[int, int]] = OrderedDict()  # nonce -> (issued ms, last nc)
        self._watermark = -1

    def challenge(self, *, stale: bool = False) -> str:
        """A WWW-Authenticate header value."""
        stamp = f"{int(self._clock() * 1000)}.{secrets.token_hex(8)}"
        nonce = f"{stamp}.{self._sign(stamp)}"
        header = f'Digest realm="{self.realm}", nonce="{nonce}", algorithm=MD5, qop="auth,auth-int"'
        return header + (", stale=true" if stale else "")

    def nonce_fresh(self, nonce: str) -> bool:
        """Whether `nonce` is one of ours, not expired, and not forgotten by the table."""
        issued = self._issued_ms(nonce)
        if issued is None or not 0 <= self._clock() * 1000 - issued <= NONCE_SECONDS * 1000:
            return False
        return nonce in self._in_use or issued > self._watermark

    def verify(
        self, credentials: DigestCredentials, *, method: str, uri: str, body: bytes, stored_ha1: str
    ) -> bool:
        """Whether `credentials` answer a challenge for this request (`method`, request-URI `uri`,
        `body`) with the right password. Checks nothing about the nonce: see :meth:`accept`."""
        if (
            credentials.realm != self.realm
            or credentials.algorithm.upper() != "MD5"
            or credentials.uri != uri
        ):
            return False
        if credentials.qop == "auth-int":
            ha2 = _md5(f"{method}:{credentials.uri}:{hashlib.md5(body, usedforsecurity=False).hexdigest()}")
        else:
            ha2 = _md5(f"{method}:{credentials.uri}")
        if credentials.qop is None:
            expected = _md5(f"{stored_ha1}:{credentials.nonce}:{ha2}")
        elif credentials.qop in ("auth", "auth-int") and credentials.nc and credentials.cnonce:
            expected = _md5(
                f"{stored_ha1}:{credentials.nonce}:{credentials.nc}:{credentials.cnonce}:{credentials.qop}:{ha2}"
            )
        else:
            return False
        return hmac.compare_digest(expected, credentials.response)

    def accept(self, credentials: DigestCredentials) -> bool:
        """Use the nonce of verified `credentials` once: False when it is stale or this nonce
        count (or, without qop, this nonce) was seen before: a replay."""
        if not self.nonce_fresh(credentials.nonce):
            return False
        issued = self._issued_ms(credentials.nonce)
        assert issued is not None
        if credentials.qop is None:
            count = 1
            if credentials.nonce in self._in_use:
                return False
        else:
            if credentials.nc is None or not _NONCE_COUNT.fullmatch(credentials.nc):
                return False
            count = int(credentials.nc, 16)
            if count <= self._in_use.get(credentials.nonce, (issued, 0))[1]:
                return False
        self._in_use[credentials.nonce] = (issued, count)
        self._in_use.move_to_end(credentials.nonce)
        self._forget_old()
        return True

    def _forget_old(self) -> None:
        oldest_valid = self._clock() * 1000 - NONCE_SECONDS * 1000
        while self._in_use:
            nonce, (issued, _) = next(iter(self._in_use.items()))
            if issued >= oldest_valid and len(self._in_use) <= self._max_tracked:
                return
            del self._in_use[nonce]
            if issued >= oldest_valid:
                self._watermark = max(self._watermark, issued)

    def _issued_ms(self, nonce: str) -> int | None:
        stamp, _, signature = nonce.rpartition(".")
        issued, _, _ = stamp.partition(".")
        if not issued.isdigit() or not hmac.compare_digest(signature, self._sign(stamp)):
            return None
        return int(issued)

    def _sign(self, stamp: str) -> str:
        return hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:32]
