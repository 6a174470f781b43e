"""What GET /dashboard answers: everything the dashboard shows but the CPU series, read in one place.

The workers' reports (pools, quotas), the queue's depth, throughput and latency over the recent jobs
that ended in the last DASHBOARD_WINDOW_SECONDS (three fields of each, in one round trip for up to
RECENT_JOBS jobs), the bytes moved (Redis's network counters and the jobs' own), and the latest jobs.
"""

import time

from redis import Redis
from rq import Queue

from services.api.schemas import BytesView, DashboardView, JobView, LatencyView, QueueView, WorkerView
from shared import bytes_moved
from shared.job_store import JobStore
from shared.net.counters import redis_bytes
from shared.recent_jobs import summarize
from shared.settings import get_settings
from shared.worker_reports import read_reports, total_quota


def snapshot(redis: Redis, queue: Queue, store: JobStore, limit: int) -> DashboardView:
    """The dashboard's figures now, with the `limit` most recent jobs listed."""
    now = time.time()
    workers = [WorkerView(**report) for report in read_reports(redis)]
    ids = store.recent()
    figures = summarize(store.briefs(ids), now, get_settings().dashboard_window_seconds)
    network, moved = redis_bytes(redis), bytes_moved.totals(redis)
    return DashboardView(
        now=now,
        window_seconds=figures.window,
        queue=QueueView(name=queue.name, depth=queue.count),
        workers=workers,
        pool_processes=sum(w.pool_processes for w in workers),
        cpu_quota=total_quota([w.cpu_quota for w in workers]),
        jobs_per_second=figures.jobs_per_second,
        latency=LatencyView(jobs=len(figures.latencies), **figures.percentiles()),
        statuses=figures.statuses,
        recent=[JobView.from_record(record) for record in map(store.read, ids[:limit]) if record is not None],
        bytes=BytesView(
            redis_in=network.rx,
            redis_out=network.tx,
            jobs_read=moved["read"],
            jobs_pickled=moved["pickled"],
        ),
    )
