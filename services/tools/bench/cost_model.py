"""Calibrate the work estimate's cost model (shared/cost.py) on this machine: its coefficients, measured,
as the settings lines to put in .env, beside the current values and the estimate's error with each.

Each kernel's per-unit cost is timed on small windows at several magnitudes (the fastest of a few
timings: the least disturbed by whatever else runs), and the model's coefficients fitted by least
squares on the relative error; then whole check ranges are timed and estimated with both sets.
"""

import math
import time
from typing import Any

import numpy as np

from services.tools.stack import host_settings
from shared.cost import estimate_seconds, trial_term
from shared.kernels import run_kernel

# Where the primes kernel is sampled: from small numbers to MAX_PRIMES_STOP's default.
PRIMES_AT = (1_000, 10_000, 100_000, 10**6, 10**7, 10**8, 10**9 - 200_000)
PI_PARAMS = {"seed": 0}
# A window is timed once it takes at least this long; each is the fastest of REPEATS timings.
WINDOW_SECONDS = 0.01
REPEATS = 3
# Whole ranges the estimate is checked on: (kernel, lo, hi).
CHECKS = (
    ("primes", 0, 1_000_000),
    ("primes", 10**7, 10**7 + 200_000),
    ("primes", 10**9 - 100_000, 10**9),
    ("pi", 0, 1_000_000),
)
QUICK_CHECKS = (("primes", 0, 300_000), ("pi", 0, 300_000))
# Setting name of each coefficient, in the order the fit gives them.
NAMES = ("cost_primes_unit_seconds", "cost_primes_trial_seconds", "cost_pi_sample_seconds")


def _timed(kernel: str, lo: int, hi: int, repeats: int = REPEATS) -> float:
    params = PI_PARAMS if kernel == "pi" else {}
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        run_kernel(kernel, params, lo, hi)
        best = min(best, time.perf_counter() - t0)
    return best


def unit_seconds_at(kernel: str, at: int) -> float:
    """Measured seconds per unit in a window starting at `at`, widened until it takes WINDOW_SECONDS."""
    width = 1_000
    while _timed(kernel, at, at + width, 1) < WINDOW_SECONDS:
        width *= 4
    return _timed(kernel, at, at + width) / width


def fit() -> dict[str, float]:
    """The model's coefficients, measured here."""
    points = [(trial_term(at + 0.5), unit_seconds_at("primes", at)) for at in PRIMES_AT]
    # Minimise the relative error: (unit + trial * g) / y - 1, a linear least-squares problem.
    design = np.array([[1 / y, g / y] for g, y in points])
    (unit, trial), *_ = np.linalg.lstsq(design, np.ones(len(points)), rcond=None)
    pi = unit_seconds_at("pi", 0)
    # Valid settings even from a poor fit on a busy machine (the errors below then show it).
    return dict(zip(NAMES, (max(1e-9, float(unit)), max(0.0, float(trial)), pi), strict=True))


def run(quick: bool = False) -> dict[str, Any]:
    """Measured coefficients, the current ones, and each one's error on whole check ranges."""
    current = host_settings()
    measured = fit()
    calibrated = current.model_copy(update=measured)
    checks = []
    for kernel, lo, hi in QUICK_CHECKS if quick else CHECKS:
        seconds = _timed(kernel, lo, hi, 1 if quick else REPEATS)
        now, then = estimate_seconds(kernel, lo, hi, current), estimate_seconds(kernel, lo, hi, calibrated)
        checks.append(
            {
                "kernel": kernel,
                "lo": lo,
                "hi": hi,
                "measured_seconds": seconds,
                "estimate_current": now,
                "estimate_measured": then,
                "error_current": now / seconds - 1,
                "error_measured": then / seconds - 1,
            }
        )
    return {
        "current": {name: getattr(current, name) for name in NAMES},
        "measured": measured,
        "checks": checks,
        "env_lines": env_lines(measured),
    }


def env_lines(coefficients: dict[str, float]) -> list[str]:
    """The settings lines for .env, three significant digits."""
    return [f"{name.upper()}={value:.3g}" for name, value in coefficients.items()]
