"""Job functions that stock RQ workers run in the benchmark (importable by `rq worker`)."""

from shared.kernels.primes import count_primes


def primes(lo: int, hi: int) -> int:
    """The same work as our chunk jobs, tiny or CPU-bound: the primes kernel over [lo, hi)."""
    return count_primes(lo, hi).count
