"""Response bodies of the API."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.job_status import ACTIVE, FINISHED
from shared.job_store import JobRecord


class JobAccepted(BaseModel):
    id: str
    status: str
    mode: str
    url: str
    chunks: int | None = None  # queue chunk jobs (distributed, hybrid); None for local (one queue job)


class Progress(BaseModel):
    chunks_done: int
    chunks_total: int  # fixed by the job's plan when it is accepted
    percent: float


# A job as the API shows it: built from its stored record in one place, `from_record`.
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
    # A `bytes` job's data moved: read out of Redis by the workers (local: the dataset once; distributed:
    # each chunk its slice), and pickled to pool processes with its tasks (a segment's name, not the data).
    bytes_read: int = 0
    bytes_pickled: int = 0
    created_at: float | None  # Unix times
    started_at: float | None
    ended_at: float | None
    queue_seconds: float | None
    run_seconds: float | None
    error: str | None
    traceback: str | None

    @classmethod
    def from_record(cls, record: JobRecord) -> "JobView":
        """The view of a stored record (shared.job_store.JobRecord)."""
        done, total = record.chunks_done, record.chunks_total
        result = None
        if record.status == FINISHED:
            result = {"count": record.tally.count, "histogram": record.tally.histogram}
            if record.spec["kernel"] == "pi":
                result["estimate"] = 4 * record.tally.count / record.spec["params"]["samples"]
        # While a retried job waits or runs again, its error says why the last run failed.
        error = record.error
        if error is None and record.status in ACTIVE and record.retries:
            error = f"retried {record.retries}x after: {record.last_error or '?'}"
        return cls(
            id=record.id,
            status=record.status,
            mode=record.mode,
            kernel=record.spec["kernel"],
            params=record.spec["params"],
            chunk_size=record.chunk_size or None,
            chunking=record.chunking or None,
            progress=Progress(
                chunks_done=done, chunks_total=total, percent=round(100 * done / total, 1) if total else 0.0
            ),
            result=result,
            hosts=record.hosts,
            pool_processes=record.pool_processes,
            pids=record.pids,
            cpu_seconds=record.cpu_seconds,
            bytes_read=record.bytes_read,
            bytes_pickled=record.bytes_pickled,
            created_at=record.created_at,
            started_at=record.started_at,
            ended_at=record.ended_at,
            queue_seconds=_span(record.created_at, record.started_at),
            run_seconds=_span(record.started_at, record.ended_at),
            error=error,
            traceback=record.traceback,
        )


def _span(start: float | None, end: float | None) -> float | None:
    return end - start if start is not None and end is not None else None


class HealthView(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="`ok`: the API answers, and Redis with it. `degraded`: accepted work is waiting and no "
        "worker is ready to take it (none running, or every one backing off from Redis): it waits, "
        "nothing is lost, but nothing ends until a worker is ready again."
    )
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
    # CFS throttling since the container started (cgroup cpu.stat), container-wide; None if unreadable.
    # Periods count only while a quota is set (none when unlimited or pinned with `cpuset`): the share
    # throttled over an interval is the difference of cpu_throttled_periods over that of cpu_periods.
    cpu_periods: int | None = None  # CFS periods (100 ms) in which the container wanted CPU
    cpu_throttled_periods: int | None = None  # of them, those it ran out of quota in
    cpu_throttled_seconds: float | None = None  # how long its processes were held back, in total
    # Bytes into and out of the container's network (its interfaces, loopback aside) since it started.
    net_rx_bytes: int | None = None
    net_tx_bytes: int | None = None
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


class BytesView(BaseModel):
    """Bytes moved, cumulative: Redis's own network counters since it started (INFO stats), and the
    bytes the workers read out of Redis for jobs and pickled to pool processes since Redis's data began."""

    redis_in: int
    redis_out: int
    jobs_read: int
    jobs_pickled: int


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
    bytes: BytesView | None = None


class DatasetView(BaseModel):
    """A dataset (POST /datasets, GET /datasets/{id}): what jobs of the `bytes` kernel read."""

    id: str
    bytes: int  # its size
    sha256: str  # of its bytes, hex: check the upload arrived whole
    created_at: float  # Unix time
    # Seconds until it is dropped: DATASET_TTL after the upload, extended by each job accepted on it to
    # at least that job's record's life (RESULT_TTL), so no job outlives its data.
    expires_in: int
