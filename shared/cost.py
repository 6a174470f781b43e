"""How long a range of a kernel's units takes in one process: a deterministic cost model per kernel.

The automatic chunk size (shared.plan) needs a chunk's work in seconds, since the queue and pool
overheads per chunk are fixed. The model is a formula read off each kernel, with coefficients that are
settings (COST_*), measured on a machine by `make bench`, which prints them as lines for `.env`
beside the current values and the estimate's error. The same job gets the same plan on any machine
with the same settings, whatever else that machine is doing.

- `primes` (trial division by the primes up to sqrt(n), shared.kernels.primes): every number costs a
  loop step or a few (most composites have a small factor), and each prime runs through all the
  pi(sqrt(n)) ~ 2 sqrt(n) / ln(n) base primes; primes have density 1 / ln(n). So a number near n costs
  COST_PRIMES_UNIT_SECONDS + COST_PRIMES_TRIAL_SECONDS * sqrt(n) / ln(n)^2 (the latter taken at
  n >= e^4, where that term is smallest: below it the loop is a step or two whatever n is). A range
  costs the integral of that (Simpson's rule: within 0.01 % of the sum over its numbers).
- `pi` (two draws and a test per sample, shared.kernels.pi): COST_PI_SAMPLE_SECONDS per sample,
  wherever the samples lie (a chunk starting mid-block also skips ahead; that is a per-chunk cost, left
  to the fixed chunk overhead).
- `bytes` (a pass over a dataset, shared.kernels.dataset): its units are blocks of BLOCK bytes, each
  BLOCK x COST_BYTES_SCAN_SECONDS at `work` 0 (binned at C speed), else BLOCK x
  (COST_BYTES_BYTE_SECONDS + work x COST_BYTES_ROUND_SECONDS): the planner sizes its chunks by bytes
  and work. Reading the bytes is left out: it is the contrast the modes are measured on.
"""

import math
from collections.abc import Callable, Mapping
from typing import Any

from shared.kernels.dataset import BLOCK
from shared.settings import Settings, get_settings

# Simpson panels per estimate (even): 9 evaluations of a formula.
PANELS = 8
_WEIGHTS = (1, *([4, 2] * (PANELS // 2 - 1)), 4, 1)
# Below this n the trial loop is a step or two: sqrt(n)/ln(n)^2 is least at n = e^4.
_FLAT_BELOW = math.e**4


def trial_term(n: float) -> float:
    """sqrt(n) / ln(n)^2, the shape of a prime's trial-division cost at n (held flat below e^4)."""
    m = max(n, _FLAT_BELOW)
    return math.sqrt(m) / math.log(m) ** 2


def unit_cost(
    kernel: str, settings: Settings, params: Mapping[str, Any] | None = None
) -> Callable[[float], float]:
    """The model's seconds per unit of this kernel (with these params), as a function of where it lies."""
    if kernel == "primes":
        unit, trial = settings.cost_primes_unit_seconds, settings.cost_primes_trial_seconds
        return lambda n: unit + trial * trial_term(n)
    if kernel == "pi":
        sample = settings.cost_pi_sample_seconds
        return lambda _n: sample
    if kernel == "bytes":
        work = int((params or {}).get("work", 1))
        per_byte = (
            settings.cost_bytes_scan_seconds
            if work == 0
            else settings.cost_bytes_byte_seconds + work * settings.cost_bytes_round_seconds
        )
        return lambda _n: BLOCK * per_byte
    raise ValueError(f"no cost model for kernel {kernel!r}")


def estimate_seconds(
    kernel: str, lo: int, hi: int, settings: Settings | None = None, params: Mapping[str, Any] | None = None
) -> float:
    """Modelled seconds for one process to compute units [lo, hi) of this kernel (with these params)."""
    if hi <= lo:
        return 0.0
    f = unit_cost(kernel, settings or get_settings(), params)
    # The integral of f over [lo, hi] in t = sqrt(n) (dn = 2t dt), where the sqrt(n) term is smooth
    # down to 0: Simpson's rule on PANELS panels is then within 0.01 % of the sum over every unit.
    a, b = math.sqrt(lo), math.sqrt(hi)
    step = (b - a) / PANELS
    return step / 3 * sum(w * f((a + i * step) ** 2) * 2 * (a + i * step) for i, w in enumerate(_WEIGHTS))
