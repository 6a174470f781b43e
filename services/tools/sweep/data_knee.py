"""Where moving bytes makes each approach lose: on the data axis, the most bytes per task up to which it
stays within TOLERANCE of its own share of the ceiling at the CPU-heavy end.

Every point of the axis has the same task duration, so the fixed cost per task is the same at each: a
line's share falls along the axis only by what moving the bytes costs it (the ceiling moves none, its
data already in shared memory). "Up to" means at that point and every lighter one, as the task axis's
knee (services/tools/sweep/crossover.py, whose reading this reuses with the axis turned round). Read
from the medians over the rounds.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from services.tools.loadtest.traffic_table import human_bytes
from services.tools.sweep.crossover import crossover

# The fall from a line's CPU-heavy share, in shares of the ceiling, that counts as losing to the bytes
# (issue #20: within 5 points of the CPU-bound figure).
TOLERANCE = 0.05


@dataclass(frozen=True)
class DataPoint:
    """One point of a line on the data axis: bytes per task, per CPU-millisecond, share of the ceiling."""

    per_task: float
    per_cpu_ms: float
    share: float


@dataclass(frozen=True)
class DataKnee:
    line: str
    heavy: DataPoint  # the CPU-heavy end: the fewest bytes per task
    holds: DataPoint  # the heaviest in bytes up to which it stays within the tolerance
    fell: DataPoint | None  # the next point past it, where it fell more (None: it never does)
    primes: float | None  # its share on primes at the same task size, if that ran
    tolerance: float = TOLERANCE

    def sentence(self) -> str:
        """What an engineer reads: from how many bytes per task moving them makes this approach lose."""
        points = f"{100 * self.tolerance:.0f} points"
        heavy = _percent(self.heavy.share)
        start = f"{self.line}: {heavy} of the ceiling at the CPU-heavy end ({_at(self.heavy)})"
        if self.primes is not None:
            gap = round(100 * (self.heavy.share - self.primes))  # an int: "+0", never "-0" (f"{-0.3:+.0f}")
            start += f", {gap:+d} points from its {_percent(self.primes)} on primes tasks of the same size"
        if self.fell is None:
            return (
                f"{start}; moving bytes never costs it more than {points}: still "
                f"{_percent(self.holds.share)} at {_at(self.holds)}."
            )
        lost = 100 * (self.heavy.share - self.fell.share)
        return (
            f"{start}; within {points} of that up to {_at(self.holds)}, and moving bytes makes it lose from "
            f"{_at(self.fell)}: {_percent(self.fell.share)}, {lost:.0f} points down."
        )


def _percent(share: float) -> str:
    return f"{100 * share:.0f} %"


def _at(point: DataPoint) -> str:
    return f"{human_bytes(point.per_task)} per task, {human_bytes(point.per_cpu_ms)} per CPU-ms"


def data_knee(
    line: str, points: Sequence[DataPoint], primes: float | None = None, tolerance: float = TOLERANCE
) -> DataKnee:
    """The knee of one line from its points on the data axis, in any order."""
    if not points:
        raise ValueError(f"{line}: no point to read a knee from")
    ordered = sorted(points, key=lambda p: p.per_task)
    heavy = ordered[0]
    floor = heavy.share - tolerance
    # The task axis's knee, read from the bytes' side: the axis negated, the floor as its threshold.
    knee = crossover(line, [(-p.per_task, p.share - floor) for p in ordered], 0.0)
    assert knee.seconds is not None  # the CPU-heavy point itself always holds
    by_x = {-p.per_task: p for p in ordered}
    return DataKnee(
        line,
        heavy,
        by_x[knee.seconds],
        None if knee.below is None else by_x[knee.below[0]],
        primes,
        tolerance,
    )
