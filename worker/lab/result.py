"""What an experiment returns, and how its figures are formatted (one place for units)."""

from dataclasses import dataclass, field


@dataclass
class Result:
    """One experiment's outcome: measured figures are reported; only `facts` decide pass or fail."""

    name: str
    shows: str  # one line: the concept this experiment demonstrates
    headline: str  # the figure that goes into the summary table
    design: str  # what it means for the demo's design
    figures: dict[str, str] = field(default_factory=dict)  # label -> formatted measurement
    facts: dict[str, bool] = field(default_factory=dict)  # correctness facts: label -> held
    notes: list[str] = field(default_factory=list)  # honest remarks about this run's figures

    @property
    def ok(self) -> bool:
        """True when every correctness fact held (timings never fail an experiment)."""
        return all(self.facts.values())


def fmt_time(seconds: float) -> str:
    """A duration with a unit a reader can compare at a glance (ns, us, ms, s)."""
    for limit, scale, unit in ((1e-6, 1e9, "ns"), (1e-3, 1e6, "µs"), (1.0, 1e3, "ms")):
        if seconds < limit:
            return (
                f"{seconds * scale:.3g} {unit}" if seconds * scale < 100 else f"{seconds * scale:.0f} {unit}"
            )
    return f"{seconds:.3g} s"


def fmt_rate(per_second: float, unit: str) -> str:
    """A throughput: bytes take an SI prefix (`850 MB/s`), counts a suffix (`236k msg/s`)."""
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if per_second >= scale:
            value = f"{per_second / scale:.3g}"
            return f"{value} {prefix}{unit}/s" if unit == "B" else f"{value}{prefix} {unit}/s"
    return f"{per_second:.3g} {unit}/s"


def fmt_ratio(ratio: float) -> str:
    """A cost ratio such as `85x`."""
    return f"{ratio:.3g}x" if ratio < 100 else f"{ratio:.0f}x"
