"""Count the primes in [start, stop) by trial division, and histogram their last digits.

Deliberately CPU-bound pure Python: every number is tested against the primes up to its square
root, the kind of interpreter-bound loop that threads cannot speed up and processes can. Units are
the integers themselves, so any split of [start, stop) merges to the same answer.
"""

from collections.abc import Mapping
from functools import lru_cache
from math import isqrt
from typing import Any

from shared.tally import BINS, Tally


@lru_cache(maxsize=8)
def base_primes(limit: int) -> tuple[int, ...]:
    """All primes <= limit (a small sieve); cached, since every chunk of a job needs the same ones."""
    if limit < 2:
        return ()
    sieve = bytearray([1]) * (limit + 1)
    sieve[0] = sieve[1] = 0
    for p in range(2, isqrt(limit) + 1):
        if sieve[p]:
            sieve[p * p :: p] = bytes(len(range(p * p, limit + 1, p)))
    return tuple(i for i, is_prime in enumerate(sieve) if is_prime)


def count_primes(lo: int, hi: int) -> Tally:
    """The number of primes in [lo, hi) and their last-digit histogram."""
    tally = Tally()
    histogram = tally.histogram
    if hi <= 2:
        return tally
    divisors = base_primes(isqrt(hi - 1))
    for n in range(max(lo, 2), hi):
        for p in divisors:
            if p * p > n:
                histogram[n % BINS] += 1
                break
            if n % p == 0:
                break
        else:
            # No divisor up to isqrt(hi - 1) >= isqrt(n): n is prime.
            histogram[n % BINS] += 1
    tally.count = sum(histogram)
    return tally


def run(params: Mapping[str, Any], lo: int, hi: int) -> Tally:
    """Kernel entry point: units are integers, already within [start, stop)."""
    return count_primes(lo, hi)
