"""One definition of a percentile for every figure the project shows: the dashboard, the load test, bench."""

import math
from collections.abc import Sequence


def percentile(ordered: Sequence[float], p: float) -> float | None:
    """Nearest-rank p-th percentile (0 < p <= 100) of sorted values: an observed value; None if empty."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
