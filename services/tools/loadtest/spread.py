"""Repeated measurements, summarised: the median and the range, never one lucky round."""

import statistics
from collections.abc import Sequence


def spread(values: Sequence[float | None]) -> dict[str, float] | None:
    """{"median", "min", "max", "n"} of the known values; None if none is known."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    return {"median": statistics.median(known), "min": min(known), "max": max(known), "n": len(known)}


def show(summary: dict[str, float] | None, fmt: str = ".2f", scale: float = 1.0) -> str:
    """`1.23 (1.10–1.31)`; a single round shows no range; `-` for nothing."""
    if summary is None:
        return "-"
    median = format(summary["median"] * scale, fmt)
    if summary["n"] < 2:
        return median
    return f"{median} ({format(summary['min'] * scale, fmt)}–{format(summary['max'] * scale, fmt)})"
