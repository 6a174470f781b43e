"""The partial answer of a kernel over a range of work units, and how two partials merge."""

from dataclasses import dataclass, field

# Every kernel reports a count and a 10-bin histogram (primes: by last digit; pi: hits by x decile).
BINS = 10


@dataclass
class Tally:
    """A count and its histogram; merging partials in any order gives the one-piece answer."""

    count: int = 0
    histogram: list[int] = field(default_factory=lambda: [0] * BINS)

    def merge(self, other: "Tally") -> "Tally":
        """Add another partial into this one, in place, and return self."""
        self.count += other.count
        for i, n in enumerate(other.histogram):
            self.histogram[i] += n
        return self
