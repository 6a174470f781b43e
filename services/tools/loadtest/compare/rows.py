"""make compare's records: a round of a cell, a cell over its rounds, the ceiling, the whole comparison.

Frozen and shaped as reports/comparison-*.json holds them: `Comparison.as_json()` writes that file and
`load()` reads one back (make results renders old reports with today's code).
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import TypeAdapter

from services.tools.loadtest.spread import Spread


@dataclass(frozen=True)
class Baseline:
    """One job in one process, in the worker image under 1 CPU: what efficiency is measured against."""

    where: str
    seconds_per_job: float
    units_per_second: float


@dataclass(frozen=True)
class CeilingRound:
    """One round's ceiling: the same jobs on a bare Pool of the whole budget (worker/ceiling.py)."""

    jobs: int
    processes: int
    chunks_per_job: int
    wall_seconds: float
    jobs_per_second: float
    count: int
    histogram: list[int]
    exact: bool  # every job's answer the expected one
    efficiency: float  # jobs/s x one process's seconds per job / the budget
    # Kept since make sweep (None in older reports): units per pool task, and the CPU seconds of the
    # pool's processes and of its parent (which feeds the tasks and merges the answers).
    task_size: int | None = None
    workers_cpu_seconds: float | None = None
    parent_cpu_seconds: float | None = None
    # Kept since the free-threaded row (None in older reports): whether the GIL was on at the run's end.
    gil_enabled: bool | None = None


@dataclass(frozen=True)
class RuntimeRound:
    """One round of an in-one-container row (compare/runtimes.py): the ceiling's jobs and tasks on another
    stdlib executor, in the worker image under the same budget, beside that round's ceiling."""

    round: int
    run: CeilingRound  # its figures, as the ceiling's are (worker.ceiling --executor)
    of_ceiling: float
    cores: float  # CPU seconds of its workers and parent / its wall time
    # A row in an image of another Python build (free-threaded): its one-process speed / CPython 3.14's,
    # measured in the same round (None for the other rows, and in older reports).
    single_thread: float | None = None


@dataclass(frozen=True)
class Throttled:
    """The worker containers' CFS throttling over a run, added up (from their cgroups)."""

    periods: int
    throttled_periods: int
    throttled_share: float | None  # None: no period at all (no quota)
    throttled_seconds: float


@dataclass(frozen=True)
class RoundRow:
    """One cell's figures in one round, with its share of that round's ceiling."""

    round: int
    jobs: int
    exact: int
    lost: int
    jobs_per_second: float
    of_ceiling: float
    efficiency: float | None
    latency_p50: float | None
    latency_p95: float | None
    worker_cores: float | None
    throttling: Throttled
    chunk_sizes: list[str]
    accounting: dict[str, float | None]  # where the host's cores went, share per line (accounting.LINES)
    report: str  # the round's load-test report (JSON)
    # Bytes moved per job (compare/traffic.py FIELDS); None in reports from before they were counted.
    traffic: dict[str, float | None] | None = None


@dataclass(frozen=True)
class CellSummary:
    """A cell over its rounds: medians and ranges, totals of exact and lost, and every round kept."""

    key: str
    topology: str  # its label: `thin`, `thin pinned`
    pinned: list[str]  # each container's cpuset; [] under a quota
    layout: str
    mode: str
    note: str
    worker_class: str
    consumers: int
    jobs: int
    exact: int
    lost: int
    jobs_per_second: Spread | None
    of_ceiling: Spread | None
    efficiency: Spread | None
    latency_p50: Spread | None
    worker_cores: Spread | None
    throttled_share: Spread | None
    throttled_seconds: Spread | None
    accounting: dict[str, Spread | None]
    rounds: list[RoundRow]
    # Bytes moved per job over the rounds (compare/traffic.py FIELDS); {} in older reports.
    traffic: dict[str, Spread | None] = field(default_factory=dict)

    @property
    def all_exact(self) -> bool:
        return self.exact == self.jobs and self.lost == 0

    @property
    def variant(self) -> str:
        """What tells cells of one topology apart beside their mode: consumers, stock RQ, counter-example."""
        if self.worker_class == "simple":
            return " stock RQ"
        if self.note.startswith("counter-example"):
            return " 1 consumer"
        return f" {self.consumers} consumers" if self.consumers > 1 else ""


@dataclass(frozen=True)
class CeilingSummary:
    rounds: int
    exact_rounds: int
    jobs_per_second: Spread | None
    efficiency: Spread | None
    every_round: list[CeilingRound]


@dataclass(frozen=True)
class RuntimeSummary:
    """An in-one-container row over its rounds: medians and ranges, every round kept."""

    key: str  # worker.ceiling's --executor: threads, processes
    label: str  # `threads (GIL)`
    layout: str  # `ThreadPoolExecutor(2), --cpus 2`
    note: str
    jobs: int
    exact: int  # a round's jobs count when every one of them has the exact answer
    jobs_per_second: Spread | None
    of_ceiling: Spread | None
    efficiency: Spread | None
    cores: Spread | None
    rounds: list[RuntimeRound]
    single_thread: Spread | None = None  # over the rounds' RuntimeRound.single_thread

    @property
    def all_exact(self) -> bool:
        return self.exact == self.jobs


@dataclass(frozen=True)
class PeerRound:
    """One round of a queue peer in containers (compare/peers.py): the compare workload's jobs, cut into
    our distributed chunks, on another project's queue, on one topology's containers and CPU budget."""

    round: int
    jobs: int
    exact: bool  # every job's answer the expected one
    processes: dict[str, int]  # worker processes consuming, per container (hostname)
    chunks_per_job: int
    wall_seconds: float  # from the first chunk sent to the last answer back (the driver's clock)
    jobs_per_second: float
    of_ceiling: float  # of that round's bare-Pool ceiling
    efficiency: float  # jobs/s x one process's seconds per job / the budget
    workers_cpu_seconds: dict[str, float]  # per worker container, over the clock (cgroups)
    cores: float  # the worker containers' CPU / the wall time
    throttling: Throttled  # the worker containers' CFS throttling over the clock, added up


@dataclass(frozen=True)
class PeerSummary:
    """A queue peer on one topology over its rounds: medians and ranges, every round kept."""

    key: str  # `celery thin`
    peer: str  # `celery`
    label: str  # `Celery prefork`
    topology: str  # `thin`
    layout: str  # `2 x 1 CPU, prefork -c 1`
    note: str  # its configuration
    jobs: int
    exact: int  # a round's jobs count when every one of them has the exact answer
    jobs_per_second: Spread | None
    of_ceiling: Spread | None
    efficiency: Spread | None
    cores: Spread | None
    throttled_share: Spread | None
    throttled_seconds: Spread | None
    rounds: list[PeerRound]

    @property
    def all_exact(self) -> bool:
        return self.exact == self.jobs


@dataclass(frozen=True)
class WorkloadShape:
    kernel: str
    size: int
    jobs: int
    concurrency: int
    # make compare TASK=: units per task, and the task duration they are modelled at; None: the planner's.
    chunk_size: int | None = None
    task_seconds: float | None = None


@dataclass(frozen=True)
class Baselines:
    every_round: list[Baseline]


@dataclass(frozen=True)
class Comparison:
    title: str
    budget: int
    workload: WorkloadShape
    ceiling: CeilingSummary
    baseline: Baselines
    cells: list[CellSummary]
    # The in-one-container rows beside the ceiling (compare/runtimes.py); [] in older reports.
    runtimes: list[RuntimeSummary] = field(default_factory=list)
    # The queue peers in containers, per topology (compare/peers.py); [] in older reports or without PEERS.
    peers: list[PeerSummary] = field(default_factory=list)

    @property
    def all_exact(self) -> bool:
        """Every job of every cell, row and peer exact, none lost, and the ceiling exact in every round."""
        rows_exact = all(c.all_exact for c in self.cells) and all(r.all_exact for r in self.runtimes)
        rows_exact = rows_exact and all(p.all_exact for p in self.peers)
        return rows_exact and self.ceiling.exact_rounds == self.ceiling.rounds

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_COMPARISON = TypeAdapter(Comparison)


def load(data: dict[str, Any]) -> Comparison:
    """A comparison as a report file holds it (`Comparison.as_json()`), checked and typed again."""
    return _COMPARISON.validate_python(data)
