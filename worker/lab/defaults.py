"""Every tunable of the lab in one place: the start method, and the sizes of a full and a quick run."""

from dataclasses import dataclass

# The lab's own children use fork: the experiments measure a mechanism (a lock, a queue, a proxy),
# and fork keeps each run short. Only `start-methods` compares fork, forkserver and spawn.
START_METHOD = "fork"

# Processes that contend for one shared object. Two is enough for lost updates: the race needs two
# writers, not many, and it shows even on one CPU (a process can be preempted mid-update).
CONTENDERS = 2

# Every join in the lab is bounded: a stuck child must fail an experiment, not hang the lab.
JOIN_TIMEOUT = 60.0


@dataclass(frozen=True)
class Sizes:
    """How much work each experiment does; `FULL` for figures worth quoting, `QUICK` for a smoke run."""

    start_repeats: int  # Process start+join cycles per start method (median taken)
    pool_cycles: int  # Pool(2) create+teardown cycles per start method
    pool_items: int  # items mapped per chunksize
    chunksizes: tuple[int, ...]
    increments: int  # per contender, for the Value experiment
    manager_ops: int  # per contender, through a Manager proxy (~100-200 us each)
    small_messages: int  # 64-byte messages through a Queue and a Pipe
    large_messages: int  # 1 MiB messages through a Queue and a Pipe
    sentinel_items: int  # per producer
    empty_probes: int  # put() then empty() at once: how often empty() says True
    semaphore_hold: float  # seconds each worker holds the semaphore
    handoffs: int  # Condition ping-pong round trips
    data_bytes: int  # bytes sent to pool processes three ways (the data experiment)
    data_tasks: int  # the tasks they are split into


FULL = Sizes(
    start_repeats=10,
    pool_cycles=3,
    pool_items=20_000,
    chunksizes=(1, 10, 100, 1000),
    increments=200_000,
    manager_ops=4_000,
    small_messages=50_000,
    large_messages=200,
    sentinel_items=10_000,
    empty_probes=1_000,
    semaphore_hold=0.05,
    handoffs=5_000,
    data_bytes=64 << 20,
    data_tasks=16,
)

QUICK = Sizes(
    start_repeats=3,
    pool_cycles=1,
    pool_items=4_000,
    chunksizes=(1, 100, 1000),
    increments=50_000,
    manager_ops=1_000,
    small_messages=10_000,
    large_messages=50,
    sentinel_items=2_000,
    empty_probes=200,
    semaphore_hold=0.02,
    handoffs=1_000,
    data_bytes=4 << 20,
    data_tasks=8,
)

# The semaphore experiment: more workers than slots, so the bound is actually tested.
SEMAPHORE_BOUND = 2
SEMAPHORE_WORKERS = 6

# The event experiment: workers released together by one set(), then cancelled by another.
EVENT_WORKERS = 4

# The data experiment's pool: two processes, as on a 2-CPU worker.
DATA_PROCESSES = 2
