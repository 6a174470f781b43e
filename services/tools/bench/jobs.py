"""Job functions that stock RQ workers run in the benchmark (importable by `rq worker`)."""

from shared.kernels.primes import count_primes


def tiny(lo: int, hi: int) -> int:
    """The same tiny work as our tiny chunk jobs: the primes kernel over [lo, hi)."""
    return count_primes(lo, hi).count
