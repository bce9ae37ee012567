"""Exponential backoff, the one rule for every retry (jobs and webhook deliveries)."""

from __future__ import annotations


def exponential_backoff(retry_index: int, base: float, cap: float) -> float:
    """`base * 2**retry_index`, at most `cap`: the wait before retry number `retry_index + 1`."""
    return float(min(base * (2 ** max(retry_index, 0)), cap))
