"""The ways to spend one CPU budget on worker containers, and the comparison's cells on them.

A topology is how the budget is cut into containers (one fat, many thin, or a mix) and what runs in each
(pool size, RQ consumers, our LeanWorker or stock RQ). A cell is a topology and a mode. Each strategy
gets its best honest configuration: a container of several CPUs in distributed mode runs one consumer
per CPU (one consumer would leave all but one core idle: that cell is kept, labelled a counter-example);
hybrid needs a pool of more than one (on 1-CPU workers it is distributed, so it is not run twice).
The peer is stock RQ (`SimpleWorker`) on the thin topology, taking the same distributed chunks.

The budget can be spent as a CFS quota (`cpus:`: each container may use its share of time on any core,
and is throttled for the rest of a 100 ms period once it used it) or by pinning (`cpuset`: each
container runs on cores of its own, never throttled, but sharing them, and their caches, with whatever
else runs there). `plan(..., pin_to=cores)` adds each topology's pinned twin beside it: the same
containers, no quota, container i on the i-th slice of the budget's cores.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace

MODES = ("local", "distributed", "hybrid")
# The kernel's CPU weight of a cgroup holding one CPU (cgroup v1 cpu.shares; Docker's default).
SHARES_PER_CPU = 1024


def cpu_shares(cpus: float) -> int:
    """The CPU weight of a container of `cpus` CPUs: as much as that many 1-CPU containers together."""
    return max(2, round(SHARES_PER_CPU * cpus))


@dataclass(frozen=True)
class Topology:
    name: str
    replicas: int  # worker containers
    cpus: float  # CPU limit of each
    pool: int  # pool processes in each consumer
    consumers: int = 1  # RQ worker processes in each container
    worker_class: str = "lean"  # lean (ours) or simple (stock RQ SimpleWorker)
    # Pinned instead of a quota: each container's cpuset ("0", "2,3"), in container order; () = quota.
    cpusets: tuple[str, ...] = ()

    @property
    def pinned(self) -> bool:
        return bool(self.cpusets)

    @property
    def label(self) -> str:
        """Its name, and how the budget is held: `thin`, `thin pinned`."""
        return f"{self.name} pinned" if self.pinned else self.name

    def env(self) -> dict[str, str]:
        """The compose variables that select it (a pinned one's cpusets are set on each container)."""
        return {
            "WORKER_REPLICAS": str(self.replicas),
            # 0: no quota at all, so that the cores it is pinned to are its only limit.
            "WORKER_CPUS": "0" if self.pinned else f"{self.cpus:g}",
            "WORKER_CPUSET": "",
            # Weight under contention in proportion to the CPUs held (the ceiling's too: stack_info).
            "WORKER_CPU_SHARES": str(cpu_shares(self.cpus)),
            "POOL_PROCESSES": str(self.pool),
            "WORKER_CONSUMERS": str(self.consumers),
            "WORKER_CLASS": self.worker_class,
        }

    def describe(self) -> str:
        consumers = f", {self.consumers} consumers" if self.consumers > 1 else ""
        stock = ", stock RQ SimpleWorker" if self.worker_class == "simple" else ""
        held = f", cpuset {' / '.join(self.cpusets)}" if self.pinned else ""
        return f"{self.replicas} x {self.cpus:g} CPU{held}{consumers}, pool {self.pool}{stock}"

    def pinned_to(self, cores: Sequence[int]) -> "Topology | None":
        """The same containers pinned, container i to the i-th `cpus` of `cores`, with no quota; None if
        its containers have fractions of a CPU or need more cores than there are."""
        each = int(self.cpus)
        if each != self.cpus or each < 1 or self.replicas * each > len(cores):
            return None
        slices = (cores[i * each : (i + 1) * each] for i in range(self.replicas))
        return replace(self, cpusets=tuple(",".join(map(str, cores_of)) for cores_of in slices))

    def one_consumer_per_cpu(self) -> "Topology":
        """The same containers, one consumer per CPU with a pool of one: distributed mode's best use."""
        return replace(self, consumers=max(1, int(self.cpus)), pool=1)


@dataclass(frozen=True)
class Cell:
    topology: Topology
    mode: str
    note: str = ""  # "counter-example: ...", "peer: ..."

    @property
    def key(self) -> str:
        """Unique within a comparison: topology, its layout and the mode."""
        return f"{self.topology.name} [{self.topology.describe()}] {self.mode}"


@dataclass(frozen=True)
class Group:
    """Cells that share one configuration of the stack, so they run without reconfiguring it."""

    topology: Topology
    cells: tuple[Cell, ...]


def topologies(budget: int) -> list[Topology]:
    """fat, thin and hybrid for a budget of `budget` CPUs; hybrid only where it differs from both."""
    fat = Topology("fat", 1, budget, budget)
    thin = Topology("thin", budget, 1, 1)
    half = budget // 2
    hybrid = Topology("hybrid", 2, budget / 2, max(1, half))
    found = [fat, thin]
    if budget >= 4:
        found.append(hybrid)
    return found


def by_name(budget: int, names: list[str]) -> list[Topology]:
    """The named topologies for this budget, in order; ValueError for an unknown or unavailable one."""
    available = {t.name: t for t in topologies(budget)}
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(
            f"topology {', '.join(unknown)} not available with a budget of {budget} CPUs "
            f"(available: {', '.join(available)}; hybrid needs at least 4)"
        )
    return [available[n] for n in names]


# The note on pinned cells whose container may use every core of the host: pinning limits nothing there.
EVERY_CORE = "every core: no limit"


def plan(
    chosen: list[Topology], modes: list[str], peer: bool = True, pin_to: Sequence[int] | None = None
) -> list[Group]:
    """The comparison's cells, grouped by stack configuration, in the order they run in each round.

    With `pin_to` (the host's cores), each topology is followed by its pinned twin on those cores.
    """
    groups = []
    for quota in chosen:
        twin = quota.pinned_to(pin_to) if pin_to else None
        for topology in (quota, twin) if twin else (quota,):
            groups += _groups(topology, modes, every_core=bool(pin_to) and _every_core(topology, pin_to))
    if peer and "distributed" in modes:
        thin = next((t for t in chosen if t.name == "thin"), None)
        if thin is not None:
            stock = replace(thin, worker_class="simple")
            groups.append(Group(stock, (Cell(stock, "distributed", "peer: stock RQ"),)))
    return groups


def _groups(topology: Topology, modes: list[str], every_core: bool) -> list[Group]:
    """One topology's cells: on it, and distributed on its one-consumer-per-CPU variant if that differs."""
    groups = []
    pinned_note = EVERY_CORE if every_core else ""
    cells = [
        Cell(topology, m, pinned_note) for m in modes if m == "local" or (m == "hybrid" and topology.pool > 1)
    ]
    best = topology.one_consumer_per_cpu()
    if "distributed" in modes and best == topology:
        cells.append(Cell(topology, "distributed", pinned_note))
    elif "distributed" in modes and topology.name == "fat":
        note = f"counter-example: 1 consumer, {topology.cpus:g} CPUs"
        cells.append(Cell(topology, "distributed", f"{note}; {pinned_note}" if pinned_note else note))
    if cells:
        groups.append(Group(topology, tuple(cells)))
    if "distributed" in modes and best != topology:
        groups.append(Group(best, (Cell(best, "distributed", pinned_note),)))
    return groups


def _every_core(topology: Topology, cores: Sequence[int] | None) -> bool:
    """Whether a pinned topology's container may run on every one of `cores` (the host's)."""
    return bool(cores) and any(len(cpuset.split(",")) >= len(cores) for cpuset in topology.cpusets)
