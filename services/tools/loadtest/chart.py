"""PNG charts of load tests: CPU per container over time, latency distribution, and comparisons."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


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


def comparison_chart(rows: list[dict[str, Any]], path: Path) -> Path:
    """Throughput and parallel efficiency per topology x mode, as grouped bars."""
    topologies = list(dict.fromkeys(r["topology"] for r in rows))
    modes = list(dict.fromkeys(r["mode"] for r in rows))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / len(modes)
    for i, mode in enumerate(modes):
        xs = [t + i * width for t in range(len(topologies))]
        by_topology = {r["topology"]: r for r in rows if r["mode"] == mode}
        axes[0].bar(
            xs, [by_topology.get(t, {}).get("jobs_per_second") or 0 for t in topologies], width, label=mode
        )
        axes[1].bar(
            xs, [100 * (by_topology.get(t, {}).get("efficiency") or 0) for t in topologies], width, label=mode
        )
    for ax, label in zip(axes, ("jobs/s", "parallel efficiency %"), strict=True):
        ax.set_xticks([t + width * (len(modes) - 1) / 2 for t in range(len(topologies))], topologies)
        ax.set_ylabel(label)
        ax.legend()
    axes[1].axhline(100, color="grey", lw=0.8, ls="--")
    fig.suptitle("same workload, same CPU budget: topology x mode")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
