"""Every tunable of the benchmark: sizes of a full and a quick run, the workloads, and the targets."""

from dataclasses import dataclass

# The tiny job of the per-job overhead figures: primes in [TINY_LO, TINY_HI), a few tens of µs.
TINY_LO, TINY_HI = 1_000, 1_100
# Where the CPU-bound chunks start: high enough that the cost per number barely changes along a job.
CPU_LO = 1_000_000
# Wall time aimed at for one CPU-bound chunk, ours and the peers'.
CHUNK_SECONDS = 0.020
# The small job of the warm-pool figure: this many chunks, each CHUNK_SECONDS / SMALL_CHUNK_DIVISOR.
SMALL_JOB_CHUNKS = 8
SMALL_CHUNK_DIVISOR = 20
# Seconds to wait for one phase's jobs to end before giving up.
PHASE_TIMEOUT = 300.0


@dataclass(frozen=True)
class Sizes:
    """How much each figure does; FULL for figures worth quoting, QUICK for a smoke run."""

    rounds: int  # repetitions of every queue figure (medians taken), runners interleaved
    overhead_jobs: int  # N tiny jobs per runner and round
    efficiency_jobs: int  # jobs per topology and round
    efficiency_chunks: int  # CPU-bound chunks per job
    api_jobs: int  # tiny jobs submitted over HTTP for the latency figure
    api_concurrency: int  # jobs in flight at once over HTTP
    enqueue_requests: int  # POST /jobs requests per enqueue figure (sequential and concurrent)
    enqueue_batches: int  # POST /jobs/batch requests of MAX_BATCH jobs each
    increments: int  # per contender, for the in-node aggregation figures
    manager_ops: int  # per contender, through a Manager proxy
    merges: int  # SharedTally.merge and Redis merge_chunk calls timed
    pool_runs: int  # small jobs per pool variant
    watchers: int  # GET /jobs/{id}?wait= held at once on one API process
    watch_probes: int  # /health and POST /jobs requests per latency figure, without and with watchers
    watch_hold: float  # seconds the API's CPU and Redis's commands are counted while the watchers wait
    fsync_jobs: int  # POST /jobs per appendfsync policy, way of sending and round (--fsync-jobs)
    fsync_rounds: int  # rounds of the appendfsync figure, everysec then always in each (--fsync-rounds)


FULL = Sizes(
    rounds=3,
    overhead_jobs=400,
    efficiency_jobs=10,
    efficiency_chunks=20,
    api_jobs=400,
    api_concurrency=8,
    enqueue_requests=400,
    enqueue_batches=10,
    increments=200_000,
    manager_ops=2_000,
    merges=5_000,
    pool_runs=15,
    watchers=1000,
    watch_probes=200,
    watch_hold=5.0,
    fsync_jobs=400,
    fsync_rounds=5,
)

QUICK = Sizes(
    rounds=1,
    overhead_jobs=40,
    efficiency_jobs=2,
    efficiency_chunks=8,
    api_jobs=40,
    api_concurrency=4,
    enqueue_requests=40,
    enqueue_batches=2,
    increments=20_000,
    manager_ops=200,
    merges=500,
    pool_runs=3,
    watchers=100,
    watch_probes=20,
    watch_hold=1.0,
    fsync_jobs=40,
    fsync_rounds=2,
)


@dataclass(frozen=True)
class Targets:
    """What `make bench` checks, each printed with ✓ or ✗."""

    overhead_seconds: float = 0.5e-3  # our distributed per-job overhead, median
    ahead_of: tuple[str, ...] = ("celery-solo", "dramatiq")  # peers ours must beat per job, same run
    below_simple_worker: float = 3.0  # stock SimpleWorker per job / ours
    efficiency: float = 0.95  # T1 / (2 T) for ~20 ms chunks over the same round's bare forks, every topology
    aggregation_share: float = 0.02  # SharedTally merges / the job's kernel time
    batch_jobs_per_second: float = 5_000.0  # POST /jobs/batch acceptance, no worker running
    chunk_overhead_share: float = 0.05  # automatic chunk size: fixed cost per chunk / the job's work
    watchers: int = 1000  # long polls held at once by one API process (a full run)
    watching_p99_seconds: float = 0.100  # /health and POST /jobs p99 while they are held


TARGETS = Targets()
