"""The soak's rates, minute by minute: jobs accepted per second, and where the cores went.

The reference minute is the first whole minute after the in-flight window filled (driver.py). Before
that instant the submitters post as fast as the API answers, ahead of the workers (thousands of jobs in
the first seconds on an empty queue); from it on, a job is accepted only when one is seen ended, so the
accept rate is the stack's throughput, which is what must not decay.

Each minute also gets its CPU from the samples (sampler.py): the stack's containers, in cores and in CPU
milliseconds per accepted job, and what ran beside them on the same cores: the engine, the soak's own
process, and the host's steal. A rate that falls while the stack's CPU per job holds is the cores given
to something else; a rate that falls while it grows is the stack doing more per job.
"""

from typing import Any

MINUTE = 60.0
# The host's CPU times that are no process's work (psutil.cpu_times' fields; guest time is also in user).
NOT_BUSY = ("idle", "iowait", "steal", "guest", "guest_nice")


def per_minute(times: list[float], start: float, end: float) -> list[dict[str, float]]:
    """Jobs accepted per second in each whole minute from `start` to `end` (a last partial minute is
    left out); `times`: when each job was accepted."""
    minutes = int((end - start) // MINUTE)
    counts = [0] * minutes
    for at in times:
        index = int((at - start) // MINUTE) if at >= start else -1
        if 0 <= index < minutes:
            counts[index] += 1
    return [{"at": start + i * MINUTE, "per_second": n / MINUTE} for i, n in enumerate(counts)]


def _at(samples: list[dict[str, Any]], when: float) -> dict[str, Any] | None:
    """The last sample taken at or before `when` that has CPU readings."""
    found = None
    for sample in samples:
        if sample["at"] > when:
            break
        if "cpu" in sample:
            found = sample
    return found


def cpu_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """Cores used on average between two samples: the stack's containers (a container seen in both),
    the engine, the soak's process, anything else on the host, and the host's steal; and CPU ms per job
    accepted, the stack's and each container's."""
    seconds = after["at"] - before["at"]
    a, b = before["cpu"], after["cpu"]
    used = {
        name: now - a["containers"][name] for name, now in b["containers"].items() if name in a["containers"]
    }
    stack = sum(used.values())
    jobs = after["accepted"] - before["accepted"]
    engine, soak = b["engine"] - a["engine"], b["soak"] - a["soak"]
    busy = sum(b["host"].values()) - sum(a["host"].values())
    busy -= sum(b["host"].get(k, 0.0) - a["host"].get(k, 0.0) for k in NOT_BUSY)
    return {
        "stack_cores": stack / seconds,
        "engine_cores": engine / seconds,
        "soak_cores": soak / seconds,
        # Whatever else ran on the host meanwhile: its busy time less the stack's, the engine's, the soak's.
        "other_cores": (busy - stack - engine - soak) / seconds,
        "steal_cores": (b["host"].get("steal", 0.0) - a["host"].get("steal", 0.0)) / seconds,
        "idle_cores": (b["host"].get("idle", 0.0) - a["host"].get("idle", 0.0)) / seconds,
        "stack_ms_per_job": 1000 * stack / jobs if jobs else float("nan"),
        "ms_per_job": {name: 1000 * cpu / jobs if jobs else float("nan") for name, cpu in used.items()},
    }


def minutes(
    times: list[float], samples: list[dict[str, Any]], start: float, end: float
) -> list[dict[str, float]]:
    """Each whole minute from `start`: its accept rate and, where samples bracket it, its CPU; where
    samples fall in it, the machine's speed (their mean probe_ms, sampler.py)."""
    rows = []
    for row in per_minute(times, start, end):
        before, after = _at(samples, row["at"]), _at(samples, row["at"] + MINUTE)
        if before is not None and after is not None and after["at"] > before["at"]:
            row = {**row, **cpu_between(before, after)}
        probes = [
            s["probe_ms"] for s in samples if "probe_ms" in s and row["at"] <= s["at"] < row["at"] + MINUTE
        ]
        if probes:
            row["probe_ms"] = sum(probes) / len(probes)
        rows.append(row)
    return rows


def decay(rows: list[dict[str, float]]) -> dict[str, float]:
    """The reference (first) minute's rate, the last's and the lowest's, each last and lowest as a share
    of the reference; and, where every minute has the machine's speed, the same shares at the reference
    minute's speed (each minute's rate times its probe time over the reference's: a machine 20 % slower
    for a minute makes every process on it 20 % slower, the stack's rate with them)."""
    if not rows or not rows[0]["per_second"]:
        return {}
    first, last = rows[0]["per_second"], rows[-1]["per_second"]
    lowest = min(row["per_second"] for row in rows)
    found = {
        "first": first,
        "last": last,
        "lowest": lowest,
        "last_share": last / first,
        "lowest_share": lowest / first,
    }
    if all("probe_ms" in row for row in rows):
        at_first_speed = [row["per_second"] * row["probe_ms"] / rows[0]["probe_ms"] for row in rows]
        found |= {
            "speed_range": (
                min(row["probe_ms"] for row in rows) / rows[0]["probe_ms"],
                max(row["probe_ms"] for row in rows) / rows[0]["probe_ms"],
            ),
            "adjusted_last_share": at_first_speed[-1] / first,
            "adjusted_lowest_share": min(at_first_speed) / first,
        }
    return found
