"""The benchmark's one table (every figure, its anchor, the ratio in the same run, the target) and JSON."""

from typing import Any

from rich.console import Console
from rich.table import Table

from services.tools.bench import anchors, efficiency
from services.tools.bench.defaults import TARGETS

# The topologies the efficiency target applies to (on 2 cores: fat, thin, and hybrid = thin).
TARGETED = ("local", "distributed", "hybrid")
NOTES = {
    "hybrid": " (= distributed on 2 cores: a pool of 1 is skipped)",
    "hybrid-fat": " (no target: each 20 ms queue chunk split again)",
}


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


def _ns(seconds: float) -> str:
    return f"{seconds * 1e9:,.0f} ns"


def _mark(ok: bool) -> str:
    return "[green]✓[/]" if ok else "[red]✗[/]"


def targets(r: dict[str, Any]) -> dict[str, bool]:
    """Each target of `make bench`, met or not."""
    o, e, w = r["overhead"], r["efficiency"], r["watchers"]
    return {
        f"distributed per-job overhead <= {TARGETS.overhead_seconds * 1e3:g} ms": o["ours"]["per_job_seconds"]
        <= TARGETS.overhead_seconds,
        f">= {TARGETS.below_simple_worker:g}x below stock SimpleWorker": o["simple"]["per_job_seconds"]
        / o["ours"]["per_job_seconds"]
        >= TARGETS.below_simple_worker,
        **{
            f"efficiency >= {TARGETS.efficiency:.0%}, {t}": e[t]["efficiency"] >= TARGETS.efficiency
            for t in TARGETED
        },
        f"aggregation <= {TARGETS.aggregation_share:.0%} of job time": r["aggregation"]["share"]["share"]
        <= TARGETS.aggregation_share,
        f"batch >= {TARGETS.batch_jobs_per_second:,.0f} jobs/s": r["enqueue"]["batch"]
        >= TARGETS.batch_jobs_per_second,
        f"automatic chunk size: chunk overhead <= {TARGETS.chunk_overhead_share:.0%} of every split job": all(
            j[f"{kind}_overhead_share"] <= TARGETS.chunk_overhead_share
            for j in r["chunk_size"]["jobs"]
            for kind in ("queue", "pool")
            if j[f"{kind}_chunks"] > 1
        ),
        "no Pool start-up inside a job (pool pids unchanged)": all(
            e[t]["warm_pool"] for t in efficiency.TOPOLOGIES
        ),
        "every job finished with the exact answer": all(e[t]["exact"] for t in efficiency.TOPOLOGIES)
        and r["api"]["exact"] == r["api"]["jobs"],
        f">= {TARGETS.watchers:,} watchers held and answered, no Redis command while held": w["held"]
        == w["answered"]
        == w["watchers"]
        >= TARGETS.watchers
        and w["redis_commands_held"] == 0,
        f"/health and POST /jobs p99 < {TARGETS.watching_p99_seconds * 1e3:g} ms under them": all(
            w["watching"][route]["p99_seconds"] < TARGETS.watching_p99_seconds for route in ("health", "post")
        ),
    }


def render(r: dict[str, Any], console: Console) -> None:
    o, e, a, en, p, api = r["overhead"], r["efficiency"], r["aggregation"], r["enqueue"], r["pools"], r["api"]
    table = Table(title=f"make bench ({r['run']}): ours against the peers (ANCHORS.md), ratios from this run")
    for column in ("figure", "measured", "anchor (peers)", "ratio, same run", "target"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    ours = o["ours"]["per_job_seconds"]

    def runner(key: str) -> str:
        s = o[key]
        cpu = _ms(s["redis_cpu_per_job"])
        return f"{_ms(s['per_job_seconds'])}, {s['commands_per_job']:.0f} cmds, Redis {cpu}"

    table.add_row(f"[b]1. per-job overhead[/b], {o['jobs']} tiny jobs, 1 worker process", "", "", "", "")
    table.add_row(
        "  (a) ours: distributed chunk job, `python -m worker` pool 1",
        runner("ours"),
        f"Celery solo {_ms(anchors.CELERY_SOLO_PER_JOB)}",
        f"{ours / anchors.CELERY_SOLO_PER_JOB:.2f}x Celery (anchor)",
        f"<= {_ms(TARGETS.overhead_seconds)} {_mark(ours <= TARGETS.overhead_seconds)}",
    )
    simple_ratio = o["simple"]["per_job_seconds"] / ours
    table.add_row(
        "  (b) stock RQ SimpleWorker",
        runner("simple"),
        f"{_ms(anchors.RQ_SIMPLE_WORKER_PER_JOB)}, ~{anchors.RQ_COMMANDS_PER_JOB} cmds",
        f"ours {simple_ratio:.2f}x faster",
        f">= {TARGETS.below_simple_worker:g}x {_mark(simple_ratio >= TARGETS.below_simple_worker)}",
    )
    table.add_row(
        "  (b) stock RQ Worker (fork per job)",
        runner("fork"),
        _ms(anchors.RQ_WORKER_PER_JOB),
        f"ours {o['fork']['per_job_seconds'] / ours:.2f}x faster",
        "",
    )
    table.add_row(
        f"  (c) API -> Redis -> worker -> result, {api['concurrency']} in flight, 2 workers",
        f"p50 {_ms(api['client_p50_seconds'])} (server {_ms(api['server_p50_seconds'])}), "
        f"{api['jobs_per_second']:.0f} jobs/s",
        "",
        f"{api['client_p50_seconds'] / ours:.1f}x the worker's per-job cost",
        "",
    )
    table.rows[-1].end_section = True
    c = r["chunk_size"]
    table.add_row(
        "[b]1d. automatic chunk size[/b], primes [0, stop): queue chunks (cost "
        f"{_ms(c['queue_chunk_seconds'])}, from 1a) / pool tasks of a local job (cost "
        f"{_ms(c['pool_task_seconds'])}, setting)",
        "",
        "",
        "",
        "",
    )
    for j in c["jobs"]:
        verdicts = []
        for kind in ("queue", "pool"):
            if j[f"{kind}_chunks"] == 1:
                verdicts.append(f"{kind}: 1 chunk")
            else:
                verdicts.append(f"{kind} {_mark(j[f'{kind}_overhead_share'] <= c['share_target'])}")
        table.add_row(
            f"  stop {j['stop']:,}: work {_ms(j['work_seconds'])} (estimated {_ms(j['estimated_seconds'])})",
            f"{j['queue_chunks']} x {j['queue_chunk_size']:,} / "
            f"{j['pool_chunks']} x {j['pool_chunk_size']:,}",
            "",
            f"overhead {j['queue_overhead_share']:.1%} / {j['pool_overhead_share']:.1%} of the work",
            f"<= {c['share_target']:.0%}: " + ", ".join(verdicts),
        )
    table.rows[-1].end_section = True
    table.add_row(
        f"[b]2. parallel efficiency[/b] T1/(2T), {e['jobs']} jobs x {e['chunks_per_job']} chunks of "
        f"{_ms(e['chunk_seconds'])}",
        "",
        "",
        "",
        "",
    )
    table.add_row(
        "  this machine's ceiling: 2 bare forked processes, no IPC",
        f"{e['ceiling']:.3f}",
        f"bare os.fork {anchors.EFFICIENCY['bare os.fork']:.2f}",
        "",
        "",
    )
    for t in efficiency.TOPOLOGIES:
        eff = e[t]["efficiency"]
        note = NOTES.get(t, "")
        target = f">= {TARGETS.efficiency:.0%} {_mark(eff >= TARGETS.efficiency)}" if t in TARGETED else "-"
        table.add_row(
            f"  {t}: {e[t]['layout']}{note}",
            f"{eff:.3f}",
            f"SimpleWorker {anchors.EFFICIENCY['RQ SimpleWorker']:.2f}, Pool(2).map "
            f"{anchors.EFFICIENCY['Pool(2).map chunksize 1']:.2f}",
            f"{eff / e['ceiling']:.1%} of ceiling; {eff / anchors.EFFICIENCY['RQ SimpleWorker']:.2f}x "
            "SimpleWorker (anchor)",
            target,
        )
    table.rows[-1].end_section = True
    n = a["in_node"]
    table.add_row("[b]3. in-node aggregation[/b], per item, 2 processes", "", "", "", "")
    rows = [
        ("lock per item", "lock_per_item", anchors.LOCK_PER_ITEM_NS),
        ("local accumulation + one locked merge", "local_then_merge", anchors.LOCAL_THEN_MERGE_NS),
        ("partial results returned by map", "partial_results", anchors.PARTIAL_RESULTS_NS),
        ("Manager Value + Manager Lock", "manager_proxy", anchors.MANAGER_PER_ITEM_NS),
        ("serial loop, one process", "serial", anchors.SERIAL_NS),
    ]
    for label, key, anchor in rows:
        table.add_row(
            f"  {label}",
            _ns(n[key]),
            f"{anchor:,} ns",
            f"{n[key] / n['local_then_merge']:.1f}x local+merge",
            "",
        )
    s = a["share"]
    table.add_row(
        f"  share of a job: {s['chunks_per_job']} SharedTally merges x {s['merge_seconds'] * 1e6:.1f} µs",
        f"{s['share']:.3%}",
        "",
        f"of {_ms(s['job_kernel_seconds'])} kernel time",
        f"<= {TARGETS.aggregation_share:.0%} {_mark(s['share'] <= TARGETS.aggregation_share)}",
    )
    table.add_row(
        "  distributed: Redis merge_chunk (one Lua script) per chunk",
        _ms(a["redis_merge_seconds"]),
        "",
        f"{a['redis_merge_seconds'] / e['chunk_seconds']:.2%} of a chunk",
        "",
    )
    table.rows[-1].end_section = True
    table.add_row("[b]4. enqueue throughput through the API[/b], no worker running", "", "", "", "")
    table.add_row("  POST /jobs, sequential", f"{en['sequential']:,.0f} jobs/s", "", "", "")
    table.add_row(
        f"  POST /jobs, {en['concurrency']} concurrent", f"{en['concurrent']:,.0f} jobs/s", "", "", ""
    )
    table.add_row(
        f"  POST /jobs/batch, {en['batch_size']} jobs each",
        f"{en['batch']:,.0f} jobs/s",
        "",
        f"{en['batch'] / en['sequential']:.1f}x sequential",
        f">= {TARGETS.batch_jobs_per_second:,.0f} {_mark(en['batch'] >= TARGETS.batch_jobs_per_second)}",
    )
    table.rows[-1].end_section = True
    table.add_row(
        f"[b]5. warm pool vs pool per job[/b], Pool({p['processes']}), small job of {p['chunks']} chunks",
        "",
        "",
        "",
        "",
    )
    for method, anchor in (("fork", anchors.POOL_CYCLE_FORK), ("forkserver", anchors.POOL_CYCLE_FORKSERVER)):
        m = p[method]
        table.add_row(
            f"  {method}: warm / new pool per job",
            f"{_ms(m['warm_seconds'])} / {_ms(m['per_job_seconds'])}",
            f"pool cycle {_ms(anchor)}",
            f"per job {m['ratio']:.1f}x warm",
            "",
        )
    cpu = p["parent_cpu_per_task"]
    table.add_row(
        "  parent's CPU per pool task, forkserver: stdlib Pool / our QuietPool",
        f"{cpu['stdlib'] * 1e6:,.0f} µs / {cpu['quiet'] * 1e6:,.0f} µs",
        "",
        f"{cpu['stdlib'] / max(cpu['quiet'], 1e-9):.1f}x less",
        "",
    )
    table.rows[-1].end_section = True
    _watcher_rows(table, r["watchers"])
    console.print(table)
    render_cost_model(r["cost_model"], console)
    checks = Table(title="targets", show_header=False)
    for label, ok in r["targets"].items():
        checks.add_row(_mark(ok), label)
    console.print(checks)


def render_cost_model(c: dict[str, Any], console: Console) -> None:
    """The cost model's coefficients (current and measured here), its error on whole ranges with each,
    and the lines for .env."""
    table = Table(title="0. the work estimate's cost model (shared/cost.py), calibrated on this machine")
    for column in ("", "current setting", "measured here"):
        table.add_column(column, justify="left" if not column else "right")
    for name, value in c["current"].items():
        table.add_row(name.upper(), f"{value:.3g}", f"{c['measured'][name]:.3g}")
    table.rows[-1].end_section = True
    for check in c["checks"]:
        table.add_row(
            f"{check['kernel']} [{check['lo']:,}, {check['hi']:,}): took {_ms(check['measured_seconds'])}",
            f"{_ms(check['estimate_current'])} ({check['error_current']:+.1%})",
            f"{_ms(check['estimate_measured'])} ({check['error_measured']:+.1%})",
        )
    console.print(table)
    console.print("settings lines for .env (measured here):", highlight=False)
    for line in c["env_lines"]:
        console.print(f"  {line}", highlight=False)


def _watcher_rows(table: Table, w: dict[str, Any]) -> None:
    """Section 6: watchers held on one API process, and the other routes meanwhile (same run)."""
    table.add_row(
        f"[b]6. watchers[/b]: {w['watchers']:,} GET /jobs/{{id}}?wait= on one API process, no worker",
        "",
        "",
        "",
        "",
    )
    table.add_row(
        "  held / answered when the job ended",
        f"{w['held']:,} / {w['answered']:,}",
        "",
        "",
        f">= {TARGETS.watchers:,} {_mark(w['held'] == w['answered'] == w['watchers'] >= TARGETS.watchers)}",
    )
    table.add_row(
        "  while held: API process CPU (/proc), Redis commands",
        f"{w['api_cpu_percent_held']:.1f} % of a core, {w['redis_commands_held']} cmds",
        "",
        "",
        f"0 cmds {_mark(w['redis_commands_held'] == 0)}",
    )
    for route, label in (("health", "GET /health"), ("post", "POST /jobs")):
        idle, held = w["idle"][route], w["watching"][route]
        ok = held["p99_seconds"] < TARGETS.watching_p99_seconds
        table.add_row(
            f"  {label} p50 / p99, {held['requests']} sequential: no watcher -> {w['watchers']:,} held",
            f"{_ms(idle['p50_seconds'])} / {_ms(idle['p99_seconds'])} -> "
            f"{_ms(held['p50_seconds'])} / {_ms(held['p99_seconds'])}",
            "",
            f"p99 {held['p99_seconds'] / idle['p99_seconds']:.2f}x without watchers",
            f"p99 < {_ms(TARGETS.watching_p99_seconds)} {_mark(ok)}",
        )
