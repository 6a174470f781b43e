"""The sweep's chart: each approach's share of the ceiling against the task duration (log x), banded; on
the data axis, against the bytes per task, each approach's share on primes tasks of the same size dotted
beside it."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from services.tools.loadtest.traffic_table import human_bytes  # noqa: E402
from services.tools.sweep.points import duration  # noqa: E402
from services.tools.sweep.rows import SweepResult  # noqa: E402

# One colour and marker per approach, the same in every sweep's chart.
STYLE = {
    "local": ("tab:blue", "o"),
    "distributed": ("tab:orange", "s"),
    "hybrid": ("tab:green", "^"),
    "peer": ("tab:grey", "D"),
    "threads": ("tab:brown", "v"),
    "processes": ("tab:cyan", "P"),
    "interpreters": ("tab:olive", "*"),
}


def sweep_chart(result: SweepResult, path: Path) -> Path:
    """% of the ceiling per approach (median, band min–max over the rounds), the 90 % line dotted (task
    axis) or each approach's primes figure dotted (data axis)."""
    fig, ax = plt.subplots(figsize=(9, 5.2))
    for line in result.lines:
        points = result.shares(line.key)
        if not points:
            continue
        color, marker = STYLE.get(line.key, ("tab:purple", "x"))
        xs = [x for x, _ in points]
        ax.plot(xs, [100 * s["median"] for _, s in points], marker=marker, color=color, label=line.label)
        ax.fill_between(
            xs,
            [100 * s["min"] for _, s in points],
            [100 * s["max"] for _, s in points],
            color=color,
            alpha=0.15,
        )
        reference = result.reference.share(line.key) if result.reference else None
        if reference:
            ax.axhline(100 * reference["median"], color=color, lw=0.8, ls=":")
    ax.axhline(100, color="tab:red", lw=1.2, label=f"ceiling: bare Pool({result.budget}), same tasks")
    ax.set_xscale("log")
    if result.axis == "data":
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: human_bytes(x)))
        ax.set_xlabel(
            "bytes per task (pool task or queue entry), at one task duration: CPU-heavy to I/O-heavy "
            "(log scale)\ndotted: each approach on primes tasks of the same duration"
        )
    else:
        threshold = 100 * result.threshold
        ax.axhline(threshold, color="tab:red", lw=0.8, ls=":", label=f"{threshold:.0f} % of the ceiling")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: duration(x)))
        ax.set_xlabel("task duration: the kernel's CPU per pool task or queue entry (measured, log scale)")
    ax.set_ylabel(
        "% of the ceiling (jobs/s" + (", at the ceiling's machine speed)" if result.at_speed else ")")
    )
    # Up to 110 %, or higher if a band goes there (a line can pass a ceiling that has its own costs).
    highest = max((100 * s["max"] for line in result.lines for _, s in result.shares(line.key)), default=0)
    ax.set_ylim(0, max(110, highest * 1.05))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(result.title + " (median, band min–max)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
