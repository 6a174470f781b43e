"""Where each approach stops keeping up: the smallest task at which it still reaches 90 % of the ceiling.

"Still reaches" means at that task duration and at every longer one swept: a line that dips below the
threshold and recovers has its knee above the dip, not below it. Read from the medians over the rounds.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from services.tools.sweep.points import duration

THRESHOLD = 0.9


def short_of(share: float, threshold: float) -> str:
    """A share that fell short of the threshold, as a percentage: `84 %`, or `89.6 %` where a whole number
    would round it up to the threshold itself (and read as if it held)."""
    whole = f"{100 * share:.0f}"
    return f"{100 * share:.1f} %" if float(whole) >= 100 * threshold else f"{whole} %"


@dataclass(frozen=True)
class Crossover:
    """One approach's knee: the smallest swept task (seconds) from which it holds the threshold."""

    line: str
    seconds: float | None  # None: it does not hold the threshold even at the longest task swept
    below: tuple[float, float] | None  # the next shorter point and its share, where it fell short
    best: tuple[float, float]  # its best point (seconds, share), for a line that never holds it
    threshold: float = THRESHOLD
    # For a line that holds the threshold somewhere but not at the longest task swept: the widest run of
    # neighbouring points that holds it (shortest, longest seconds), and the longest point (seconds, share).
    held: tuple[float, float] | None = None
    longest: tuple[float, float] | None = None

    def sentence(self) -> str:
        """What an engineer reads: from which task size this approach keeps up with a bare Pool."""
        share = f"{100 * self.threshold:.0f} %"
        if self.seconds is None and self.held is not None and self.longest is not None:
            start, end = self.held
            span = duration(start) if start == end else f"{duration(start)} to {duration(end)}"
            at, fell = self.longest
            return (
                f"{self.line}: reaches {share} of the ceiling with tasks of {span}, but not at the longest "
                f"swept (at {duration(at)}: {short_of(fell, self.threshold)})."
            )
        if self.seconds is None:
            at, best = self.best
            return (
                f"{self.line}: never reaches {share} of the ceiling in the swept range "
                f"(best: {short_of(best, self.threshold)} at {duration(at)} tasks)."
            )
        if self.below is None:
            return (
                f"{self.line}: reaches {share} of the ceiling at every task size swept, "
                f"down to {duration(self.seconds)}."
            )
        at, fell = self.below
        return (
            f"{self.line}: reaches {share} of the ceiling with tasks of {duration(self.seconds)} and longer "
            f"(at {duration(at)}: {short_of(fell, self.threshold)})."
        )


def crossover(line: str, points: Sequence[tuple[float, float]], threshold: float = THRESHOLD) -> Crossover:
    """The knee of one line from its (task seconds, share of the ceiling) points, in any order."""
    if not points:
        raise ValueError(f"{line}: no point to read a crossover from")
    ordered = sorted(points)
    best = max(ordered, key=lambda p: p[1])
    knee = None
    for index in range(len(ordered) - 1, -1, -1):
        if ordered[index][1] < threshold:
            below = ordered[index]
            break
        knee = ordered[index][0]
    else:
        below = None
    if knee is not None:
        return Crossover(line, knee, below, best, threshold)
    runs: list[list[float]] = [[]]
    for seconds, share in ordered:
        if share >= threshold:
            runs[-1].append(seconds)
        elif runs[-1]:
            runs.append([])
    widest = max(reversed(runs), key=len)  # of two runs as wide, the one with the longer tasks
    held = (widest[0], widest[-1]) if widest else None
    return Crossover(line, None, None, best, threshold, held, ordered[-1] if held else None)
