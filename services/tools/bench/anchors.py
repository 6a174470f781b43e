"""The peers' figures from ANCHORS.md (2-core machine, Python 3.11, rq 3.0, Redis 7.0 on loopback)."""

# No-op job, seconds per job, one worker process (RENAME method, medians).
RQ_WORKER_PER_JOB = 24.0e-3
RQ_SIMPLE_WORKER_PER_JOB = 5.3e-3
CELERY_SOLO_PER_JOB = 1.22e-3
# Redis commands per job.
RQ_COMMANDS_PER_JOB = 50

# Parallel efficiency T1 / (2 T), 400 jobs of ~21 ms on 2 cores.
EFFICIENCY = {
    "RQ Worker": 0.51,
    "RQ SimpleWorker": 0.74,
    "rq worker-pool SimpleWorker": 0.85,
    "Celery 2 solo": 0.88,
    "Pool(2).map chunksize 1": 0.95,
    "bare os.fork": 1.01,
}

# Nanoseconds per increment, 1,000,000 increments across a fork Pool(2).
LOCK_PER_ITEM_NS = 2_300
LOCAL_THEN_MERGE_NS = 40
PARTIAL_RESULTS_NS = 41
SERIAL_NS = 35
MANAGER_PER_ITEM_NS = 210_000

# Pool(2) start-up and tear-down, seconds per cycle.
POOL_CYCLE_FORK = 12e-3
POOL_CYCLE_FORKSERVER = 54e-3
