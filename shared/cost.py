"""How long a job's range of units takes in one process, estimated by timing small samples of its kernel.

The automatic chunk size (shared.chunking.auto_chunk_size) needs a chunk's work in seconds: the queue
and pool overheads per chunk are fixed, so a chunk must hold enough work for them to stay small.
Costs per unit differ by kernel and, for `primes`, grow with the numbers tested; so this times the
kernel itself on a few units where the job lies (start, middle, end), and integrates (Simpson).

Samples are cached per kernel and magnitude (a half-octave for `primes`, one for `pi`), so a process
pays a few milliseconds the first time it meets a range of that size and nothing afterwards.
"""

import math
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from shared.kernels import run_kernel

# A sample is timed once it takes at least this long (or covers MAX_SAMPLE_UNITS units).
SAMPLE_SECONDS = 0.0005
MAX_SAMPLE_UNITS = 1 << 16
# Each sample is the fastest of this many timings: the least disturbed by whatever else ran.
SAMPLE_REPEATS = 3

# kernel -> the magnitude bucket of a unit position (units of one bucket cost about the same)
_BUCKETS: Mapping[str, Callable[[int], int]] = {
    "primes": lambda at: int(2 * math.log2(at)) if at >= 2 else 0,
    "pi": lambda at: 0,
}
# kernel -> the params samples run with: a job's own (its range, its seed) do not change the cost per unit
_SAMPLE_PARAMS: Mapping[str, Mapping[str, Any]] = {"primes": {}, "pi": {"seed": 0}}


def _sample_start(kernel: str, bucket: int) -> int:
    """The first unit sampled for a bucket: mid-bucket for `primes`; 0 for `pi` (no mid-block skip)."""
    if kernel == "primes":
        return max(2, int(2 ** ((bucket + 0.5) / 2)))
    return 0


@lru_cache(maxsize=512)
def _bucket_unit_seconds(kernel: str, bucket: int) -> float:
    lo, params = _sample_start(kernel, bucket), _SAMPLE_PARAMS[kernel]
    width = 16
    while True:
        t0 = time.perf_counter()
        run_kernel(kernel, params, lo, lo + width)
        elapsed = time.perf_counter() - t0
        if elapsed >= SAMPLE_SECONDS or width >= MAX_SAMPLE_UNITS:
            break
        width *= 4
    for _ in range(SAMPLE_REPEATS - 1):
        t0 = time.perf_counter()
        run_kernel(kernel, params, lo, lo + width)
        elapsed = min(elapsed, time.perf_counter() - t0)
    return elapsed / width


def unit_seconds(kernel: str, at: int) -> float:
    """Seconds one unit near position `at` takes in this process (sampled once per magnitude)."""
    return _bucket_unit_seconds(kernel, _BUCKETS[kernel](at))


def estimate_seconds(kernel: str, lo: int, hi: int) -> float:
    """Estimated seconds for one process to compute units [lo, hi) of this kernel."""
    if hi <= lo:
        return 0.0
    ends = unit_seconds(kernel, lo) + unit_seconds(kernel, hi - 1)
    return (ends + 4 * unit_seconds(kernel, (lo + hi) // 2)) / 6 * (hi - lo)
