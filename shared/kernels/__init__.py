"""CPU kernels: pure Python, deterministic, each computing a Tally over a half-open range of units."""

from collections.abc import Callable, Mapping
from typing import Any

from shared.kernels import dataset, pi, primes
from shared.tally import Tally

# kernel name -> function(params, lo, hi) computing the Tally of units [lo, hi).
KERNELS: Mapping[str, Callable[[Mapping[str, Any], int, int], Tally]] = {
    "primes": primes.run,
    "pi": pi.run,
    "bytes": dataset.run,
}


def run_kernel(kernel: str, params: Mapping[str, Any], lo: int, hi: int) -> Tally:
    """Run one kernel over units [lo, hi) of a job with these params."""
    return KERNELS[kernel](params, lo, hi)
