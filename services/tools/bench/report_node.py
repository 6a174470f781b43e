"""The bench's in-node figures: aggregation across a Pool's processes, and a warm pool against a new one."""

from typing import Any

from services.tools.bench.defaults import TARGETS
from services.tools.bench.figures import Figure, Section, at_most, ms


def aggregation(r: dict[str, Any]) -> Section:
    """3. In-node aggregation: per item across 2 processes, and its share of a job."""
    a, e = r["aggregation"], r["efficiency"]
    n, s = a["in_node"], a["share"]
    rows = (
        ("lock per item", "lock_per_item"),
        ("local accumulation + one locked merge", "local_then_merge"),
        ("partial results returned by map", "partial_results"),
        ("Manager Value + Manager Lock", "manager_proxy"),
        ("serial loop, one process", "serial"),
    )
    figures = [
        Figure(
            name=label, value=n[key], unit="ns", beside=f"{n[key] / n['local_then_merge']:.1f}x local + merge"
        )
        for label, key in rows
    ]
    figures.append(
        Figure(
            name=f"{s['chunks_per_job']} SharedTally merges: share of a job",
            value=s["share"],
            unit="%",
            beside=f"of {ms(s['job_kernel_seconds'])} kernel time",
            target=at_most(s["share"], TARGETS.aggregation_share),
        )
    )
    figures.append(
        Figure(
            name="distributed: Redis merge_chunk per chunk",
            value=a["redis_merge_seconds"],
            unit="ms",
            beside=f"{a['redis_merge_seconds'] / e['chunk_seconds']:.2%} of a chunk",
        )
    )
    return Section(title="3. in-node aggregation", note="per item, 2 processes", figures=tuple(figures))


def _parent_cpu(pool: str, value: float, other: str, others: float) -> Figure:
    """A pool's parent CPU per task (forkserver), beside another pool's."""
    return Figure(
        name=f"parent's CPU per task, forkserver, {pool}",
        value=value,
        unit="µs",
        beside=f"{other} {others * 1e6:,.0f} µs; {others / max(value, 1e-9):.1f}x less",
    )


def pools(r: dict[str, Any]) -> Section:
    """5. A warm pool against a pool per job, and the parent's CPU per pool task."""
    p = r["pools"]
    figures = [
        Figure(
            name=f"{method}: new pool per job",
            value=p[method]["per_job_seconds"],
            unit="ms",
            beside=f"warm {ms(p[method]['warm_seconds'])}; {p[method]['ratio']:.1f}x warm",
        )
        for method in ("fork", "forkserver")
    ]
    cpu = p["parent_cpu_per_task"]
    figures.append(_parent_cpu("QuietPool", cpu["quiet"], "stdlib Pool", cpu["stdlib"]))
    if "warm" in cpu:  # reports from before WarmPool.run waited on one result lack it
        warm = _parent_cpu("WarmPool.run", cpu["warm"], "QuietPool read per result", cpu["quiet"])
        figures.append(warm)
    note = f"Pool({p['processes']}), a small job of {p['chunks']} chunks"
    return Section(title="5. warm pool vs pool per job", note=note, figures=tuple(figures))
