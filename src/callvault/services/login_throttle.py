"""Failed sign-ins are throttled per user name and per client address, before any password is hashed.

Every wrong password costs an argon2 hash (64 MiB, tens of milliseconds), so a guesser must not get
one for free: once a user name or an address has used up its failures in the moving window, its
next attempt is refused (429 + Retry-After) without hashing. Failures are counted in process memory,
or in Redis (`CALLVAULT_REDIS_URL`) so that every process shares them. A credential verified a
moment ago is served from the authenticator's cache first, so a user who is already signed in keeps
working while an attacker is throttled.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from callvault.domain.errors import RateLimited

_NAMESPACE = "callvault-login-failures"


class LoginThrottle:
    def __init__(self, per_user: str, per_address: str, redis_url: str | None) -> None:
        self._per_user: RateLimitItem = parse(per_user)
        self._per_address: RateLimitItem = parse(per_address)
        self._limiter = MovingWindowRateLimiter(storage_from_string(redis_url or "memory://"))

    def check(self, username: str, address: str) -> None:
        """RateLimited when the user name or the address has no failure left in its window."""
        for item, kind, key in self._keys(username, address):
            if not self._limiter.test(item, _NAMESPACE, kind, key):
                reset_at, _remaining = self._limiter.get_window_stats(item, _NAMESPACE, kind, key)
                retry_after = max(1, math.ceil(reset_at - time.time()))
                raise RateLimited(
                    f"Too many failed sign-ins for this {kind}: the limit is {item}; "
                    f"try again in {retry_after} s",
                    headers={"Retry-After": str(retry_after)},
                )

    def record_failure(self, username: str, address: str) -> None:
        for item, kind, key in self._keys(username, address):
            self._limiter.hit(item, _NAMESPACE, kind, key)

    def _keys(self, username: str, address: str) -> list[tuple[RateLimitItem, str, str]]:
        return [(self._per_user, "user", username), (self._per_address, "address", address)]
