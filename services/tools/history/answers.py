"""The exact answer of each job a history submitted, computed apart from the workers' kernels.

Primes: one sieve of Eratosthenes over the largest `stop` asked, then each job's count and last-digit
histogram by bisection, so thousands of distinct ranges cost one sieve (the kernels use trial division).
Pi: the kernel run whole on the host, once per distinct request (its hits are reproducible for a seed).
"""

from bisect import bisect_left
from collections.abc import Iterable
from functools import lru_cache
from math import isqrt
from typing import Any

from shared.kernels import run_kernel
from shared.tally import BINS

Answer = dict[str, Any]  # {"count": int, "histogram": [int] * BINS}


class ExactAnswers:
    """Answers for the jobs whose requests (kernel, params) are given up front."""

    def __init__(self, specs: Iterable[dict[str, Any]]) -> None:
        stops = [s["params"]["stop"] for s in specs if s["kernel"] == "primes"]
        limit = max(stops, default=2)
        sieve = bytearray([1]) * max(limit, 2)
        sieve[0] = sieve[1] = 0
        for p in range(2, isqrt(limit - 1) + 1):
            if sieve[p]:
                sieve[p * p :: p] = bytes(len(range(p * p, limit, p)))
        self._by_digit: list[list[int]] = [[] for _ in range(BINS)]
        for n in range(limit):
            if sieve[n]:
                self._by_digit[n % BINS].append(n)
        self._limit = limit

    def of(self, spec: dict[str, Any]) -> Answer:
        """The exact answer of the job with this request."""
        params = spec["params"]
        if spec["kernel"] == "primes":
            lo, hi = params["start"], params["stop"]
            if hi > self._limit:
                raise ValueError(f"stop {hi} above the sieve's {self._limit}: pass every spec up front")
            histogram = [bisect_left(p, hi) - bisect_left(p, lo) for p in self._by_digit]
            return {"count": sum(histogram), "histogram": histogram}
        return _whole(spec["kernel"], _frozen(params))


def _frozen(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(params.items()))


@lru_cache(maxsize=1024)
def _whole(kernel: str, params: tuple[tuple[str, Any], ...]) -> Answer:
    values = dict(params)
    tally = run_kernel(kernel, values, 0, values["samples"])
    return {"count": tally.count, "histogram": tally.histogram}
