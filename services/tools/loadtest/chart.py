"""PNG charts of load tests: CPU per container over time, latency distribution, and comparisons."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from services.tools.loadtest.compare.rows import Comparison  # noqa: E402


def load_test_chart(report: dict[str, Any], path: Path) -> Path:
    """CPU % per container over the run (Docker SDK, solid; self-reported, dotted) and latencies."""
    start = report["window"][0]
    fig, (cpu_ax, lat_ax) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [2, 1]})
    by_host = {c["hostname"]: c["name"] for c in report["cpu"]["containers"]}
    for name, points in sorted(report["series"]["docker"].items()):
        if points:
            line = cpu_ax.plot(
                [t - start for t, _ in points], [p for _, p in points], label=f"{name} (docker)"
            )[0]
            host = next((h for h, n in by_host.items() if n == name), None)
            self_points = report["series"]["self"].get(host or "", [])
            if self_points:
                cpu_ax.plot(
                    [t - start for t, _ in self_points],
                    [p for _, p in self_points],
                    ":",
                    color=line.get_color(),
                    label=f"{name} (self)",
                )
    cpu_ax.set_xlabel("seconds into the run")
    cpu_ax.set_ylabel("CPU % (100 = one core)")
    cpu_ax.set_title("CPU per container")
    if cpu_ax.get_legend_handles_labels()[0]:
        cpu_ax.legend(fontsize=7, loc="upper right")
    lat_ax.hist(report["latencies"], bins=min(30, max(5, len(report["latencies"]) // 3)))
    lat_ax.set_xlabel("latency, submit to finished (s)")
    lat_ax.set_ylabel("jobs")
    lat_ax.set_title("latency")
    w = report["workload"]
    fig.suptitle(
        f"{w['jobs']} {w['kernel']} jobs of {w['size']:,} units, mode {w['mode']}, "
        f"{report['topology']['workers']} workers"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def comparison_chart(result: Comparison, path: Path) -> Path:
    """Jobs/s per cell (median, error bars min–max) under the ceiling's line, and each as % of it; the
    rows in one container (threads, ProcessPoolExecutor) first, hatched; the queue peers last, orange."""
    cells = result.cells
    labels = [r.label.replace(" (", "\n(") + "\none container" for r in result.runtimes] + [
        f"{c.topology}{' stock RQ' if c.worker_class == 'simple' else ''}\n{c.mode}"
        + (f"\n{c.consumers} consumers" if c.consumers > 1 else "")
        + ("\n(counter-example)" if c.note.startswith("counter") else "")
        for c in cells
    ]
    # The queue peers in containers last, in their own colour (reports from before them have none).
    labels += [f"{p.topology}\n{p.label.replace(' ', chr(10))}" for p in result.peers]
    bars = [*result.runtimes, *cells, *result.peers]
    colors = ["tab:grey" for _ in result.runtimes] + [
        "tab:grey" if c.worker_class == "simple" or c.note else "tab:blue" for c in cells
    ]
    colors += ["tab:orange" for _ in result.peers]
    hatches = ["//" for _ in result.runtimes] + ["" for _ in cells] + ["" for _ in result.peers]
    fig, axes = plt.subplots(1, 2, figsize=(max(10, 2.0 * len(bars) + 2), 5))
    xs = list(range(len(bars)))
    for ax, name, scale, unit in (
        (axes[0], "jobs_per_second", 1, "jobs/s"),
        (axes[1], "of_ceiling", 100, "% of the ceiling"),
    ):
        spreads = [getattr(c, name) or {"median": 0, "min": 0, "max": 0} for c in bars]
        medians = [s["median"] * scale for s in spreads]
        low = [m - s["min"] * scale for m, s in zip(medians, spreads, strict=True)]
        high = [s["max"] * scale - m for m, s in zip(medians, spreads, strict=True)]
        ax.bar(xs, medians, 0.6, yerr=[low, high], capsize=4, color=colors, hatch=hatches)
        ax.set_xticks(xs, labels, fontsize=8)
        ax.set_ylabel(unit)
    ceiling = result.ceiling.jobs_per_second
    if ceiling:
        axes[0].axhline(ceiling["median"], color="tab:red", lw=1.2, label="ceiling: bare Pool, same budget")
        axes[0].axhspan(ceiling["min"], ceiling["max"], color="tab:red", alpha=0.12)
        axes[0].legend(fontsize=8, loc="lower right")
    axes[1].axhline(100, color="tab:red", lw=1.2)
    fig.suptitle(result.title + " (median, min–max)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
