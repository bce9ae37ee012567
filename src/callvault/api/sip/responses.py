"""The final responses a SIP listener keeps for a while, so that a retransmitted request gets the
same answer (RFC 3261 section 17.2) instead of being handled twice.

Keys are chosen by the sender (Call-ID, CSeq, Via branch), so the cache is bounded twice: at most
``max_entries`` responses and ``max_bytes`` of them, the oldest dropped first; each is kept for
``TRANSACTION_SECONDS`` at most. Requests from addresses no source covers are never cached.
"""

from __future__ import annotations

from collections import OrderedDict

from callvault.calls.siprec.sip import SipRequest

__all__ = ["TRANSACTION_SECONDS", "ResponseCache", "transaction_key"]

T1 = 0.5
TRANSACTION_SECONDS = 64 * T1
TransactionKey = tuple[str, int, str, str]


def transaction_key(request: SipRequest) -> TransactionKey:
    """Call-ID, CSeq number and method, and the top Via's branch: one server transaction."""
    branch = (request.header("Via") or "").partition("branch=")[2].split(";", 1)[0]
    number, method = request.cseq
    return request.call_id, number, method, branch


class ResponseCache:
    """See the module docstring. Driven from one event loop."""

    def __init__(self, *, max_entries: int = 4096, max_bytes: int = 8 << 20) -> None:
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._entries: OrderedDict[TransactionKey, tuple[float, bytes]] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, request: SipRequest) -> bytes | None:
        if request.method == "ACK":
            return None
        found = self._entries.get(transaction_key(request))
        return found[1] if found else None

    def put(self, request: SipRequest, response: bytes, now: float) -> None:
        key = transaction_key(request)
        if len(response) > self._max_bytes:
            return
        self._drop(key)
        self._entries[key] = (now, response)
        self.bytes += len(response)
        while len(self._entries) > self._max_entries or self.bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def expire(self, now: float) -> None:
        """Forget the responses older than a transaction lives."""
        oldest = now - TRANSACTION_SECONDS
        while self._entries:
            key, (at, _) = next(iter(self._entries.items()))
            if at >= oldest:
                return
            self._drop(key)

    def _drop(self, key: TransactionKey) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self.bytes -= len(found[1])
