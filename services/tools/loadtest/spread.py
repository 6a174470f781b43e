"""Repeated measurements, summarised: the median and the range, never one lucky round."""

import statistics
from collections.abc import Sequence

from typing_extensions import TypedDict  # pydantic reads it back on Python 3.11 (make results)


class Spread(TypedDict):
    """The known values of some rounds: their median, smallest, largest, and how many there were."""

    median: float
    min: float
    max: float
    n: int


def spread(values: Sequence[float | None]) -> Spread | None:
    """{"median", "min", "max", "n"} of the known values; None if none is known."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    return {"median": statistics.median(known), "min": min(known), "max": max(known), "n": len(known)}


def show(summary: Spread | None, fmt: str = ".2f", scale: float = 1.0) -> str:
    """`1.23 (1.10–1.31)`; a single round shows no range; `-` for nothing."""
    if summary is None:
        return "-"
    median = format(summary["median"] * scale, fmt)
    if summary["n"] < 2:
        return median
    return f"{median} ({format(summary['min'] * scale, fmt)}–{format(summary['max'] * scale, fmt)})"


def median_only(summary: Spread | None) -> Spread | None:
    """Just the median of a spread (for columns where the range would only crowd a table)."""
    return None if summary is None else {**summary, "n": 1}
