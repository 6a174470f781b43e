"""Per-job overhead: N tiny jobs through our distributed path, stock RQ (Worker, SimpleWorker), the peers."""

from pathlib import Path
from typing import Any

import redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from services.api.enqueue import enqueue
from services.tools.bench import stack
from services.tools.bench.defaults import TINY_HI, TINY_LO
from services.tools.bench.jobs import primes
from services.tools.bench.peers import measure
from services.tools.bench.peers.runners import PEERS
from services.tools.bench.timing import Window, summary, timed_run
from services.tools.stack import host_settings
from shared.job_store import JobStore
from shared.jobs import parse_job

# Stock runners, by the class `rq worker -w` takes.
STOCK = {"simple": "rq.worker.SimpleWorker", "fork": "rq.worker.Worker"}


def tiny_spec() -> Any:
    """One distributed job of a single tiny chunk: what the API makes of a tiny distributed request."""
    return parse_job(
        {
            "kernel": "primes",
            "params": {"start": TINY_LO, "stop": TINY_HI},
            "mode": "distributed",
            "chunk_size": TINY_HI - TINY_LO,
        }
    )


def ours(connection: redis.Redis, url: str, n: int, name: str, profile: Path | None = None) -> Window:
    """N tiny chunk jobs, records created as the API does, run by one `python -m worker` (pool 1)."""
    queue = Queue(name, connection=connection, serializer=JSONSerializer)
    store = JobStore(connection, host_settings().result_ttl)
    jobs = enqueue(store, queue, [tiny_spec() for _ in range(n)])
    ids = [entry for job in jobs for entry in job.entry_ids]
    window = timed_run(connection, queue, ids, lambda: stack.our_workers(url, name, 1, 1, profile), 1)
    statuses = {store.status(job.job_id) for job in jobs}
    if statuses != {"finished"}:
        raise RuntimeError(f"tiny jobs ended {statuses}, expected finished")
    return window


def stock(
    connection: redis.Redis,
    url: str,
    bounds: list[tuple[int, int]],
    name: str,
    worker_class: str,
    workers: int = 1,
) -> tuple[Window, int]:
    """A job per (lo, hi) (`services.tools.bench.jobs.primes`, pickled as stock RQ does) run by stock
    `rq worker` processes; the window, and the sum of the answers RQ stored."""
    queue = Queue(name, connection=connection)
    entries = [Queue.prepare_data(primes, args=b, result_ttl=600) for b in bounds]
    ids = [job.id for job in queue.enqueue_many(entries)]
    start = lambda: stack.stock_workers(url, name, workers, worker_class)  # noqa: E731 - bound for timed_run
    window = timed_run(connection, queue, ids, start, workers)
    answers = [job.return_value() if job else None for job in Job.fetch_many(ids, connection=connection)]
    return window, sum(a for a in answers if isinstance(a, int))


def run(connection: redis.Redis, url: str, n: int, rounds: int, log: Any) -> dict[str, Any]:
    """Every runner, `rounds` times, interleaved so that drift hits them alike; medians.

    The peers' entries also keep each round's jobs run, the sum of their answers, and how many went
    wrong (not run exactly once, or the answers not adding up).
    """
    windows: dict[str, list[Window]] = {"ours": [], "simple": [], "fork": [], **{p: [] for p in PEERS}}
    runs: dict[str, list[measure.Run]] = {p: [] for p in PEERS}
    tiny_count = primes(TINY_LO, TINY_HI)
    for r in range(rounds):
        windows["ours"].append(ours(connection, url, n, f"bench-ours-{r}"))
        log(f"  round {r + 1}: ours {windows['ours'][-1].per_job * 1e3:.2f} ms/job")
        for key, cls in STOCK.items():
            windows[key].append(stock(connection, url, [(TINY_LO, TINY_HI)] * n, f"bench-{key}-{r}", cls)[0])
            log(f"  round {r + 1}: stock {key} {windows[key][-1].per_job * 1e3:.2f} ms/job")
        for peer in PEERS:
            runs[peer].append(measure.noop(connection, url, peer, n, f"bench-{peer}-{r}"))
            windows[peer].append(runs[peer][-1].window)
            log(f"  round {r + 1}: {peer} {windows[peer][-1].per_job * 1e3:.2f} ms/job")
    out: dict[str, Any] = {"jobs": n, **{key: summary(w) for key, w in windows.items()}}
    for peer in PEERS:
        out[peer] |= {
            "ran": [run.ran for run in runs[peer]],
            "totals": [run.total for run in runs[peer]],
            "wrong": sum(measure.wrong(run, n, n * tiny_count) for run in runs[peer]),
        }
    return out
