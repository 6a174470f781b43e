"""The bench's durability figure: jobs accepted per second with appendfsync always beside everysec.

Its note leads with the one line a reader needs (`line`): the rates, the ratio, and whose disk it was.
"""

import statistics
from typing import Any

from services.tools.bench.durability import POLICIES, WAYS
from services.tools.bench.figures import Figure, Section, at_most, median_figure

TITLE = "7. REDIS_APPENDFSYNC: always beside everysec"


def _way(d: dict[str, Any], way: str) -> str:
    return "one at a time" if way == "sequential" else f"{d['concurrency']} concurrent"


def rates(d: dict[str, Any], way: str, policy: str) -> list[float]:
    """Jobs accepted per second in each round, for one way of sending and one policy."""
    return [r["jobs_per_second"] for r in d["runs"] if r["way"] == way and r["policy"] == policy]


def ratios(d: dict[str, Any], way: str) -> list[float]:
    """always / everysec in each round: two runs next to each other in time."""
    return [a / e for e, a in zip(rates(d, way, "everysec"), rates(d, way, "always"), strict=True)]


def _per_job(d: dict[str, Any], way: str, policy: str, key: str) -> float | None:
    runs = [r for r in d["runs"] if r["way"] == way and r["policy"] == policy]
    if any(r[key] is None for r in runs):
        return None
    return statistics.median(r[key] / r["jobs"] for r in runs)


def missing(d: dict[str, Any]) -> int:
    """Jobs posted whose 202, record or queue entry is not there, over every run."""
    return sum(3 * r["jobs"] - r["accepted"] - r["records"] - r["entries"] for r in d["runs"])


def disk_label(d: dict[str, Any]) -> str:
    return f"{d['disk']['fstype']} on {d['disk']['device']}"


def line(d: dict[str, Any]) -> str:
    """The figure in a sentence: concurrent accepts (the stack under load), one client at a time after."""
    everysec = statistics.median(rates(d, "concurrent", "everysec"))
    always = statistics.median(rates(d, "concurrent", "always"))
    each = ratios(d, "concurrent")
    spread = f"{min(each):.2f}–{max(each):.2f}" if len(each) > 1 else f"{each[0]:.2f}"
    sentence = (
        f"REDIS_APPENDFSYNC=always accepts {always:,.0f} jobs/s against {everysec:,.0f} with everysec: "
        f"{statistics.median(each):.2f} of it (median of {len(each)} rounds' ratios, {spread}; POST /jobs, "
        f"{d['concurrency']} concurrent), {statistics.median(ratios(d, 'sequential')):.2f} one at a time. "
        f"This is this disk's fsync cost ({disk_label(d)}): disks differ, measure yours."
    )
    if d["disk"]["fstype"] == "tmpfs":
        sentence += " On tmpfs an fsync costs nothing: this ratio says nothing of a real disk."
    return sentence


def durability(r: dict[str, Any]) -> Section:
    """7. POST /jobs on a redis-server per appendfsync policy, the policies in turn in every round."""
    d = r["durability"]
    figures = []
    for way in WAYS:
        for policy in POLICIES:
            aof = _per_job(d, way, policy, "aof_bytes")
            flushes = _per_job(d, way, policy, "disk_flushes")
            beside = f"AOF {aof:,.0f} B/job"
            if flushes is not None:
                beside += f", {flushes:.2f} disk flushes/job"
            name = f"POST /jobs, {_way(d, way)}, {policy}"
            figures.append(median_figure(name, rates(d, way, policy), "/s", beside=beside))
        figures.append(median_figure(f"always / everysec, {_way(d, way)}", ratios(d, way), "x"))
    lost = missing(d)
    figures.append(
        Figure(name="202s without their record or queue entry", value=lost, unit="n", target=at_most(lost, 0))
    )
    note = (
        f"{line(d)} {d['jobs']} tiny local jobs per policy, way and round; a redis-server per policy with "
        f"appendonly yes, each in its own folder in {d['disk']['folder']}, an API process on each; every "
        "round runs everysec then always, each from an empty Redis. Disk flushes: the whole device's."
    )
    return Section(title=TITLE, note=note, figures=tuple(figures))
