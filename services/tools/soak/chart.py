"""The soak's chart: each container's memory and Redis's used memory over time, the accept rate beneath."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MB = 1024 * 1024


def soak_chart(report: dict[str, Any], path: Path) -> None:
    samples = report["samples"]
    start = report["started_at"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True, height_ratios=(2, 1))
    times = [(s["at"] - start) / 60 for s in samples]
    for name in sorted({n for s in samples for n in s["containers"]}):
        top.plot(times, [s["containers"].get(name, float("nan")) / MB for s in samples], label=name, lw=1)
    top.plot(
        times, [s["redis"]["used_memory"] / MB for s in samples], "k--", label="Redis used_memory", lw=1.5
    )
    maxmemory = samples[-1]["redis"].get("maxmemory") if samples else None
    if maxmemory:
        top.axhline(maxmemory / MB, color="red", lw=1, label="Redis maxmemory")
    top.set_ylabel("memory (MB)")
    top.set_title(
        f"make soak: {report['duration_seconds']:g} s, {report['verdict']['accepted']:,} jobs accepted"
    )
    top.legend(fontsize=7, loc="upper left")
    rates = report["accept_rate"]
    bottom.step([(r["at"] - start) / 60 for r in rates], [r["per_second"] for r in rates], where="post")
    bottom.set_ylabel("jobs accepted / s")
    bottom.set_xlabel("minutes")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
