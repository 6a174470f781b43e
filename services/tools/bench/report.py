"""The bench's figures, from its raw measurements: sections of typed records (figures.py), targets included.

Rendering is services/tools/bench/render.py's; this module only computes.
"""

from typing import Any

from services.tools.bench import efficiency, report_api, report_durability, report_node
from services.tools.bench.defaults import TARGETS
from services.tools.bench.figures import Figure, Section, at_least, at_most, below, median_figure, ms
from services.tools.bench.peers.runners import PEERS


def _processes(n: int) -> str:
    return f"{n} process" if n == 1 else f"{n} processes"


# The per-job runners of figure 1, as the table names them (ours first: the others stand beside it).
RUNNERS = {
    "ours": "ours: distributed chunk job",
    "simple": "stock RQ SimpleWorker",
    "fork": "stock RQ Worker (fork per job)",
    **{key: f"{p.label}, {_processes(p.noop_processes)}" for key, p in PEERS.items()},
}
# The topologies the efficiency target applies to (on 2 cores: fat, thin, and hybrid = thin).
TARGETED = ("local", "distributed", "hybrid")
LAYOUT_NOTES = {
    "hybrid": "= distributed on 2 cores: a pool of 1 is skipped",
    "hybrid-fat": "no target: each 20 ms queue chunk split again",
}


def wrong_jobs(r: dict[str, Any]) -> int:
    """Jobs that did not finish with the exact answer, over every queue run of the bench."""
    o, e, api = r["overhead"], r["efficiency"], r["api"]
    ours = (
        sum(run["wrong"] for t in efficiency.TOPOLOGIES for run in e[t]["runs"]) + api["jobs"] - api["exact"]
    )
    stock = sum(run["wrong"] for run in e["stock"]["runs"])
    peers = sum(o[p]["wrong"] + sum(run["wrong"] for run in e["peers"][p]["runs"]) for p in PEERS)
    return ours + stock + peers


def overhead(r: dict[str, Any]) -> Section:
    """1. Per-job cost of tiny jobs: ours, stock RQ, and the peers, each beside ours."""
    o, api = r["overhead"], r["api"]
    ours = o["ours"]["per_job_seconds"]
    figures = []
    for key, label in RUNNERS.items():
        s = o[key]
        load = f"{s['commands_per_job']:.0f} cmds, Redis {ms(s['redis_cpu_per_job'])}"
        ratio = "" if key == "ours" else f"; {s['per_job_seconds'] / ours:.2f}x ours"
        target = at_most(ours, TARGETS.overhead_seconds) if key == "ours" else None
        figures.append(median_figure(label, s["rounds"], "ms", beside=load + ratio, target=target))
    simple = o["simple"]["per_job_seconds"] / ours
    figures.append(
        Figure(
            name="stock SimpleWorker / ours, per job",
            value=simple,
            unit="x",
            target=at_least(simple, TARGETS.below_simple_worker),
        )
    )
    for peer in TARGETS.ahead_of:
        ratio = ours / o[peer]["per_job_seconds"]
        figures.append(
            Figure(name=f"ours / {PEERS[peer].label}, per job", value=ratio, unit="x", target=below(ratio, 1))
        )
    figures.append(
        Figure(
            name=f"API round trip, {api['concurrency']} in flight, 2 workers",
            value=api["client_p50_seconds"],
            unit="ms",
            beside=f"server {ms(api['server_p50_seconds'])}, {api['jobs_per_second']:.0f} jobs/s; "
            f"{api['client_p50_seconds'] / ours:.1f}x ours",
        )
    )
    note = (
        f"{o['jobs']} tiny jobs per runner, 1 worker process unless named; enqueued with no worker, queue "
        "hidden by RENAME while workers start, timed from the first job's start to the last job's end. "
        "Peers: Redis broker, no result backend; Celery with acks_late and prefetch multiplier 1. "
        "API round trip: p50 of POST /jobs to its answer (client), beside the server's own time."
    )
    return Section(title="1. per-job cost, tiny jobs", note=note, figures=tuple(figures))


def chunk_size(r: dict[str, Any]) -> Section:
    """1d. What the plan chooses for jobs of several sizes, and the fixed cost's share of the work."""
    c = r["chunk_size"]
    figures = []
    for j in c["jobs"]:
        for kind, label in (("queue", "distributed"), ("pool", "local")):
            chunks, share = j[f"{kind}_chunks"], j[f"{kind}_overhead_share"]
            figures.append(
                Figure(
                    name=f"stop {j['stop']:,}, {label}: {chunks} x {j[f'{kind}_chunk_size']:,}",
                    value=share,
                    unit="%",
                    beside=f"work {ms(j['work_seconds'])} (estimated {ms(j['estimated_seconds'])})",
                    target=at_most(share, c["share_target"]) if chunks > 1 else None,
                )
            )
    note = (
        "primes in [0, stop): the fixed cost's share of the job's work, with a queue chunk costing "
        f"{ms(c['queue_chunk_seconds'])} (figure 1, ours) and a pool task {ms(c['pool_task_seconds'])} "
        "(setting); no target for a job left in one chunk."
    )
    return Section(title="1d. automatic chunk size", note=note, figures=tuple(figures))


def parallel(r: dict[str, Any]) -> Section:
    """2. Parallel efficiency T1/(2T) on ~20 ms chunks, each beside the ceiling (bare forks) of its own
    round; the target is on that share."""
    e = r["efficiency"]
    # Reports from before the ceiling ran in every round hold one ceiling, and no share per round.
    figures = [
        median_figure(
            "ceiling: 2 bare forked processes, no IPC", e.get("ceiling_rounds", [e["ceiling"]]), "eff"
        ),
    ]

    def of_ceiling(entry: dict[str, Any]) -> float:
        return entry.get("of_ceiling", entry["efficiency"] / e["ceiling"])

    for t in efficiency.TOPOLOGIES:
        share = of_ceiling(e[t])
        figures.append(
            median_figure(
                f"{t}: {e[t]['layout']}",
                [run["efficiency"] for run in e[t]["runs"]],
                "eff",
                beside=f"{share:.1%} of its round's ceiling",
                target=at_least(share, TARGETS.efficiency) if t in TARGETED else None,
            )
        )
    peers = {"stock RQ SimpleWorker, 2 processes": e["stock"]}
    peers |= {f"{p.label}, {_processes(p.cpu_processes)}": e["peers"][key] for key, p in PEERS.items()}
    for name, peer in peers.items():
        rounds = [run["efficiency"] for run in peer["runs"]]
        figures.append(
            median_figure(name, rounds, "eff", beside=f"{of_ceiling(peer):.1%} of its round's ceiling")
        )
    cold = sum(
        run["distinct_pids"] > run["expected_pids"] for t in efficiency.TOPOLOGIES for run in e[t]["runs"]
    )
    figures.append(
        Figure(name="runs on more processes than the pool has", value=cold, unit="n", target=at_most(cold, 0))
    )
    wrong = wrong_jobs(r)
    figures.append(
        Figure(
            name="jobs not finished exact, ours and peers", value=wrong, unit="n", target=at_most(wrong, 0)
        )
    )
    notes = "; ".join(f"{t}: {n}" for t, n in LAYOUT_NOTES.items())
    note = (
        f"{e['jobs']} jobs x {e['chunks_per_job']} chunks of {ms(e['chunk_seconds'])}; T1 is the same "
        f"chunks run serially in one process right before each run; stock RQ and the peers run each chunk "
        f"as a queue job of its own. {notes}."
    )
    return Section(title="2. parallel efficiency T1/(2T)", note=note, figures=tuple(figures))


def sections(r: dict[str, Any]) -> list[Section]:
    """Every section of the table, in order."""
    return [
        overhead(r),
        chunk_size(r),
        parallel(r),
        report_node.aggregation(r),
        report_api.enqueue(r),
        report_node.pools(r),
        report_api.watchers(r),
        report_durability.durability(r),
    ]
