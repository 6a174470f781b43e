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
    chunk_size: int | None
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


class WorkerView(BaseModel):
    host: str
    pool_processes: int
    cpu_quota: float | None  # CPUs, from the container's cgroup; None if unlimited
    cpu_percent: float | None  # over the last second; 100 = one core
    cpu_seconds: float | None  # since the container started
    jobs_done: int
    chunks_done: int
    updated_at: float
