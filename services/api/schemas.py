"""Response bodies of the API."""

from typing import Any

from pydantic import BaseModel


class JobAccepted(BaseModel):
    id: str
    status: str
    mode: str
    url: str
    chunks: int | None = None  # queue chunk jobs (distributed, hybrid); local jobs chunk on the worker


class Progress(BaseModel):
    chunks_done: int
    chunks_total: int  # 0 until a local worker has chosen its chunking
    percent: float


class JobView(BaseModel):
    id: str
    status: str  # queued, started, finished, failed, canceled
    mode: str
    kernel: str
    params: dict[str, Any]
    chunk_size: int | None  # units per chunk: queue chunks (distributed, hybrid) or pool tasks (local)
    chunking: str | None  # "auto": chosen from the job's estimated work; "fixed": set by the job
    progress: Progress
    # Once finished: count and 10-bin histogram (primes: by last digit), plus estimate for pi.
    result: dict[str, Any] | None
    hosts: dict[str, int]  # worker container hostname -> chunks it ran
    pool_processes: dict[str, int]  # hostname -> pool size used there
    pids: list[str]  # "hostname:pid" of every process that computed a chunk
    cpu_seconds: float  # kernel CPU time, summed over processes
    created_at: float | None  # Unix times
    started_at: float | None
    ended_at: float | None
    queue_seconds: float | None
    run_seconds: float | None
    error: str | None
    traceback: str | None


class HealthView(BaseModel):
    status: str  # "ok": the API answers and Redis with it
    redis: str
    workers: int  # live worker containers (reported in the last few seconds)
    workers_ready: int  # of them, ready to take jobs; 0: jobs wait in the queue


class WorkerView(BaseModel):
    """One worker container (hostname), merged from the self-reports of its RQ worker processes."""

    host: str
    pool_processes: int  # summed over the container's worker processes
    cpu_quota: float | None  # CPUs, from the container's cgroup; None if unlimited
    cpu_percent: float | None  # over the last second; 100 = one core
    cpu_seconds: float | None  # since the container started
    jobs_done: int  # summed over the container's worker processes, since each started
    chunks_done: int
    updated_at: float  # the newest report's time
    consumers: int  # RQ worker processes reporting from this host (WORKER_CONSUMERS)
    # The RQ worker class taking jobs (module.name); comma-separated if the processes differ.
    worker_class: str | None
    # Every process of the container registered with RQ and its pool whole (what its healthcheck reads).
    ready: bool


class CpuSeries(BaseModel):
    host: str  # worker container hostname
    points: list[tuple[float, float]]  # [unix time, cpu %], oldest first; 100 = one core


class SeriesView(BaseModel):
    now: float  # the server's clock: pass it back as `since` to get only newer points
    series: list[CpuSeries]  # one per worker container that reported since `since`, by hostname


class QueueView(BaseModel):
    name: str
    depth: int  # entries waiting in the RQ queue (jobs, or chunk jobs for distributed and hybrid)


class LatencyView(BaseModel):
    jobs: int  # finished jobs the figures are taken over
    p50: float | None  # seconds from submission to the answer
    p95: float | None
    p99: float | None


class DashboardView(BaseModel):
    now: float
    window_seconds: float  # throughput and latency cover jobs that ended in this window
    queue: QueueView
    workers: list[WorkerView]
    pool_processes: int  # summed over live worker containers
    cpu_quota: float | None  # CPUs, summed; None if any container is unlimited
    jobs_per_second: float  # jobs finished in the window, per second
    latency: LatencyView
    statuses: dict[str, int]  # status -> jobs, over the jobs the recent index holds
    recent: list[JobView]  # newest first


class QueueFullView(BaseModel):
    """429: the work waiting is at its bound; nothing was enqueued. Retry after `Retry-After` seconds."""

    detail: str
    queued_entries: int  # queue entries accepted and not yet ended (one per local job, per chunk otherwise)
    queued_units: int  # their work units
    max_queued_entries: int  # MAX_QUEUED_ENTRIES
    max_queued_units: int  # MAX_QUEUED_UNITS


# The 429 of POST /jobs and POST /jobs/batch, for their OpenAPI `responses`.
QUEUE_FULL: dict[int | str, dict[str, Any]] = {
    429: {
        "model": QueueFullView,
        "description": "The queue is full (MAX_QUEUED_ENTRIES, MAX_QUEUED_UNITS): nothing was enqueued; "
        "retry after the `Retry-After` header's seconds",
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    }
}
