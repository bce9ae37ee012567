"""Confidence in 0..1 from the model's token log-probabilities."""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["segment_confidence", "weighted_confidence"]


def segment_confidence(avg_logprob: float) -> float:
    """Geometric-mean token probability of a segment: exp(average log-probability), clamped to 0..1."""
    if math.isnan(avg_logprob):
        return 0.0
    return min(1.0, max(0.0, math.exp(min(avg_logprob, 0.0))))


def weighted_confidence(scored: Iterable[tuple[float, float]]) -> float:
    """Mean of ``(confidence, weight)`` pairs weighted by weight (a segment's length); 0.0 for none."""
    total_weight = 0.0
    total = 0.0
    count = 0
    plain_sum = 0.0
    for confidence, weight in scored:
        count += 1
        plain_sum += confidence
        if weight > 0:
            total += confidence * weight
            total_weight += weight
    if total_weight > 0:
        return total / total_weight
    return plain_sum / count if count else 0.0
