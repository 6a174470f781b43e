"""The soak's chart: each container's memory and Redis's used memory over time; beneath, the accept rate
per minute (also at the first minute's machine speed, rates.py), and where the cores went each minute
(the stack's containers, the engine, the soak itself)."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MB = 1024 * 1024


def soak_chart(report: dict[str, Any], path: Path) -> None:
    samples = report["samples"]
    start = report["started_at"]
    fig, (top, bottom, cores) = plt.subplots(3, 1, figsize=(10, 9), sharex=True, height_ratios=(2, 1, 1))
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
    bottom.step(
        [(r["at"] - start) / 60 for r in rates],
        [r["per_second"] for r in rates],
        where="post",
        lw=0.8,
        label="per 10 s",
    )
    minutes = report["minutes"]
    # Each minute's value held to its end: the last one repeated one minute on.
    minutes = [*minutes, *minutes[-1:]]
    at = [(r["at"] - start) / 60 for r in minutes]
    at[-1:] = [at[-1] + 1] if at else []
    bottom.step(at, [r["per_second"] for r in minutes], where="post", color="k", label="per minute")
    if minutes and all("probe_ms" in r for r in minutes):
        first = minutes[0]["probe_ms"]
        bottom.step(
            at,
            [r["per_second"] * r["probe_ms"] / first for r in minutes],
            where="post",
            color="tab:purple",
            ls="--",
            label="per minute, at the first minute's machine speed",
        )
    bottom.axvline(report["window_filled_seconds"] / 60, color="grey", ls=":", label="in-flight window full")
    bottom.set_ylabel("jobs accepted / s")
    bottom.legend(fontsize=7, loc="upper right")
    for key, label in (
        ("stack_cores", "stack"),
        ("engine_cores", "engine"),
        ("soak_cores", "the soak"),
        ("steal_cores", "steal"),
    ):
        cores.step(at, [r.get(key, float("nan")) for r in minutes], where="post", label=label)
    cores.set_ylabel("cores used")
    cores.set_xlabel("minutes")
    cores.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
