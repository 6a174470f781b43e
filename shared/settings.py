"""Every tunable of the stack, read once from the environment (pydantic-settings)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Addresses that publish the API to this host only.
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class Settings(BaseSettings):
    """Settings shared by the API and the workers; each field is an environment variable."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    # Where Redis lives; the compose file points it at the `redis` service.
    redis_url: str = "redis://localhost:6379/0"
    # A file holding Redis's password (its first line), the convention of official images: the stack's
    # one-shot `redis-secret` service writes it to a volume. When set, its password replaces any in
    # REDIS_URL, so the password is in no container's environment.
    redis_password_file: str | None = None
    # How long services keep retrying Redis at start-up before giving up with a clear error.
    redis_wait_seconds: float = Field(default=30.0, gt=0)
    # How long a worker's Redis commands keep retrying while Redis is away (a restart) before a job fails.
    redis_ride_out_seconds: float = Field(default=30.0, ge=0)
    # How long a worker backs off and tries again when Redis refuses it (out of memory, or away longer
    # than the ride-out) at its start or at a job's end, unready meanwhile, before it gives up and exits.
    redis_recovery_seconds: float = Field(default=3600.0, gt=0)
    # RQ queue that carries whole jobs.
    queue_name: str = "jobs"
    # Pool processes per worker container; unset means "from the container's CPU quota".
    pool_processes: int | None = Field(default=None, ge=1, le=256)
    # multiprocessing start method for the pool: fork, forkserver or spawn.
    pool_start_method: str = Field(default="forkserver", pattern="^(fork|forkserver|spawn)$")
    # The RQ worker class that takes jobs: `lean` (worker.queue.lean.LeanWorker, its Lua fast path) or
    # `simple` (stock rq.SimpleWorker, unmodified), so the same stack can run stock RQ as a benchmark peer.
    worker_class: Literal["lean", "simple"] = "lean"
    # RQ worker processes (consumers) per worker container, each with its own pool of POOL_PROCESSES;
    # unset means 1. Above 1, `python -m worker` supervises them (worker/consumers.py).
    worker_consumers: int | None = Field(default=None, ge=1, le=64)
    # While the chunks a worker runs take less than this many seconds, it holds one more taken ahead and
    # its finishes' round trips overlap the next chunk's kernel (worker/queue/lean.py); 0: never.
    take_ahead_seconds: float = Field(default=0.025, ge=0)
    # Automatic chunk size (a job that does not fix its own; shared/plan.py): the largest share of the
    # work that the fixed cost per chunk may take, and those fixed costs (`make bench` measures them).
    chunk_overhead_share: float = Field(default=0.05, gt=0, le=1)
    queue_chunk_overhead_seconds: float = Field(default=0.0015, ge=0)
    pool_task_overhead_seconds: float = Field(default=0.0004, ge=0)
    # At most this many pool tasks per local job, or per hybrid queue chunk, for load balancing (fewer if
    # the work is small). Tasks are sized by the API, whatever the pool: a few per pool process balance.
    pool_tasks: int = Field(default=8, ge=1, le=10_000)
    # At most this many queue chunks per distributed or hybrid job (fewer if the work is small).
    distributed_chunks: int = Field(default=16, ge=1, le=10_000)
    # The cost model of the work estimate (shared/cost.py): seconds per primes number, plus this times
    # sqrt(n)/ln(n)^2 (its primes' trial division), and seconds per pi sample. `make bench` measures
    # them on this machine and prints the lines for .env.
    cost_primes_unit_seconds: float = Field(default=1.9e-7, gt=0)
    cost_primes_trial_seconds: float = Field(default=1.0e-7, ge=0)
    cost_pi_sample_seconds: float = Field(default=1.6e-7, gt=0)
    # ... and for `bytes` (shared/kernels/dataset.py): seconds per byte at work 0 (binned at C speed),
    # else per byte plus per byte and round of hashing.
    cost_bytes_scan_seconds: float = Field(default=1.5e-8, gt=0)
    cost_bytes_byte_seconds: float = Field(default=1.5e-7, gt=0)
    cost_bytes_round_seconds: float = Field(default=5.0e-8, ge=0)
    # Largest primes range (stop - start) one job may ask for.
    max_primes_span: int = Field(default=10_000_000, ge=1)
    # Largest primes `stop`: bounds the base sieve at sqrt(stop).
    max_primes_stop: int = Field(default=10**9, ge=2)
    # Largest number of Monte Carlo samples one job may ask for.
    max_pi_samples: int = Field(default=100_000_000, ge=1)
    # Most hashing rounds per byte a `bytes` job may ask for (`work`).
    max_bytes_work: int = Field(default=64, ge=0)
    # Largest request body the API reads; bigger ones get 413 before anything parses them.
    max_body_bytes: int = Field(default=64 * 1024, ge=1)
    # Largest dataset POST /datasets takes, in bytes (streamed to Redis, never held whole by the API).
    max_dataset_bytes: int = Field(default=64 * 1024 * 1024, ge=1)
    # Seconds a dataset is kept after its upload; a job accepted on it extends that to at least its own
    # record's (RESULT_TTL), so no job outlives its data (shared/datasets.py).
    dataset_ttl: int = Field(default=24 * 3600, ge=1)
    # Most chunks one job may be split into.
    max_chunks: int = Field(default=10_000, ge=1)
    # Most jobs one POST /jobs/batch may carry (its body must also fit in MAX_BODY_BYTES).
    max_batch: int = Field(default=500, ge=1)
    # Admission control (services/api/admission.py): the most work accepted and not yet ended, as queue
    # entries (one per local job, one per chunk otherwise, so it bounds the jobs too) and as work units
    # (numbers tested, samples drawn). Past either, POST /jobs and POST /jobs/batch answer 429 with a
    # Retry-After of QUEUE_FULL_RETRY_AFTER seconds and enqueue nothing. The entries bound keeps Redis
    # below its maxmemory (REDIS_MAXMEMORY in docker-compose.yml, where the arithmetic is).
    max_queued_entries: int = Field(default=20_000, ge=1)
    max_queued_units: int = Field(default=10**11, ge=1)
    queue_full_retry_after: int = Field(default=2, ge=1)
    # Nor is anything admitted once Redis uses this share of its maxmemory: the rest is kept for the
    # writes of the work already accepted. Finished records, the other tenant, are trimmed below it
    # (ENDED_TRIM_MEMORY_SHARE) and are the only keys Redis may evict (volatile-lru).
    max_redis_memory_share: float = Field(default=0.9, gt=0, le=1)
    # Redis connections the API's asyncio client may hold for its reads (GET /jobs/{id}); more requests
    # than that at once wait for one. Its watchers (?wait=) hold none while they wait (services/api/watch.py).
    api_redis_connections: int = Field(default=16, ge=1, le=1000)
    # Seconds a job may run before RQ stops it; keep the worker's stop grace period above it.
    job_timeout: int = Field(default=300, ge=1)
    # Re-runs a job gets after a fault that is not its own (a pool process or its whole worker died);
    # its own errors and timeouts fail it at once. RQ counts them; policy in worker/queue/retries.py.
    job_retries: int = Field(default=2, ge=0, le=10)
    # Seconds between a worker process's self-reports (CPU, liveness, readiness) while its container
    # computes; at rest (below HEARTBEAT_BUSY_PERCENT of a core) every IDLE_HEARTBEAT_SECONDS instead.
    heartbeat_seconds: float = Field(default=1.0, gt=0)
    idle_heartbeat_seconds: float = Field(default=2.5, gt=0)
    heartbeat_busy_percent: float = Field(default=5.0, ge=0)
    # Seconds a worker's liveness and report outlive its last beat: how soon the reaper hands back a
    # dead worker's jobs, and how stale a ready file may get before the container's healthcheck fails.
    liveness_ttl: int = Field(default=5, ge=2)
    # Points kept in each worker container's CPU series (10 minutes at one a second).
    cpu_series_length: int = Field(default=600, ge=1)
    # Seconds between two sweeps of each worker's reaper (jobs of dead workers handed back).
    reaper_sweep_seconds: float = Field(default=2.0, gt=0)
    # Seconds a job id may sit in RQ's intermediate list, not started, before the reaper hands it back.
    stuck_seconds: float = Field(default=10.0, gt=0)
    # Seconds between two passes of the pool's relay: progress written, cancel checked, while a job runs.
    progress_relay_seconds: float = Field(default=0.1, gt=0)
    # The dashboard's throughput and latency cover the jobs that ended in this many last seconds.
    dashboard_window_seconds: float = Field(default=60.0, gt=0)
    # Recent jobs kept in the index the dashboard lists.
    recent_jobs: int = Field(default=500, ge=1)
    # Level of RQ's own worker log, which has a line or two per job at INFO (a cost on the measured cores).
    job_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    # Where each worker process keeps its ready file, which the container's healthcheck reads
    # (worker/queue/readiness.py); worker/queue/healthcheck.sh has the same default.
    ready_dir: str = "/tmp/cpu-contrast-ready"
    # Seconds RQ keeps its own record of a finished queue job (our job record holds the answer): at
    # hundreds of chunks a second its job hash and result stream (~2 KB) are the biggest tenant of Redis,
    # so they live a minute, enough for `rq info` and rq-dashboard to show recent work.
    queue_result_ttl: int = Field(default=60, ge=1)
    # Seconds an ended job's record (its answer) is kept in Redis ...
    result_ttl: int = Field(default=24 * 3600, ge=1)
    # ... and the most ended records kept: past it the oldest go first, a few as each job ends
    # (shared/job_store.py). Under ~1 KB each (docker-compose.yml has the arithmetic).
    max_ended_jobs: int = Field(default=100_000, ge=1)
    # Ended records are also trimmed, oldest first, while Redis uses more than this share of its
    # maxmemory: below MAX_REDIS_MEMORY_SHARE, so that finished records never hold the API at 429.
    ended_trim_memory_share: float = Field(default=0.75, gt=0, le=1)
    # Executions the history stream keeps (shared/job_store.py EXECUTIONS; about, trimmed by Redis in
    # whole nodes): ~100 bytes each, one per chunk or local job run, read by `make chaos`'s checker.
    executions_kept: int = Field(default=100_000, ge=1000)
    # make compare's queue peers in containers (services/peers/: Celery, Dramatiq): the stack's Redis
    # database their brokers (and Celery's results) use, apart from ours in database 0 ...
    peer_redis_db: int = Field(default=1, ge=1, le=15)
    # ... and their worker processes per container; unset means "from the container's CPU quota" (each
    # peer's own default would take the host's CPU count in a container: Celery's, Dramatiq's).
    peer_processes: int | None = Field(default=None, ge=1, le=256)
    # Where the API is published on the host (compose's port mapping); the API names the dashboard's
    # and the docs' URLs from them in its start-up line.
    api_bind: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    # The bearer token the API wants (`Authorization: Bearer <API_TOKEN>`) on every route but /health:
    # required when API_BIND publishes it beyond loopback (the API refuses to start without one then),
    # optional on loopback (a wrong one is still refused). `make env` writes a random one into .env.
    api_token: SecretStr | None = None

    def api_exposed(self) -> bool:
        """Whether API_BIND publishes the API beyond loopback (then it requires API_TOKEN)."""
        return self.api_bind not in LOOPBACK

    def redis_connection_url(self) -> str:
        """REDIS_URL with the password from REDIS_PASSWORD_FILE, if set, in it (log it only redacted)."""
        if not self.redis_password_file:
            return self.redis_url
        password = Path(self.redis_password_file).read_text().splitlines()[0].strip()
        parts = urlsplit(self.redis_url)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f":{quote(password, safe='')}@{host}"))

    def peer_redis_url(self) -> str:
        """The Redis URL of the queue peers (services/peers/): redis_connection_url on PEER_REDIS_DB."""
        parts = urlsplit(self.redis_connection_url())
        return urlunsplit(parts._replace(path=f"/{self.peer_redis_db}"))

    def public_url(self) -> str:
        """The API's address as the Docker host reaches it (a bind to every address: 127.0.0.1)."""
        host = "127.0.0.1" if self.api_bind in ("", "0.0.0.0", "::") else self.api_bind
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.api_port}"

    @model_validator(mode="after")
    def _trim_before_refusing(self) -> "Settings":
        if self.ended_trim_memory_share >= self.max_redis_memory_share:
            raise ValueError(
                "ENDED_TRIM_MEMORY_SHARE must be below MAX_REDIS_MEMORY_SHARE: ended records are trimmed "
                "before admission refuses new work"
            )
        return self

    @model_validator(mode="after")
    def _beats_fit_the_liveness(self) -> "Settings":
        if max(self.heartbeat_seconds, self.idle_heartbeat_seconds) * 2 > self.liveness_ttl:
            raise ValueError(
                "LIVENESS_TTL must hold two heartbeats (HEARTBEAT_SECONDS, IDLE_HEARTBEAT_SECONDS)"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()
