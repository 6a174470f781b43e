"""The ways to spend one CPU budget on worker containers, and the comparison's cells on them.

A topology is how the budget is cut into containers (one fat, many thin, or a mix) and what runs in each
(pool size, RQ consumers, our LeanWorker or stock RQ). A cell is a topology and a mode. Each strategy
gets its best honest configuration: a container of several CPUs in distributed mode runs one consumer
per CPU (one consumer would leave all but one core idle: that cell is kept, labelled a counter-example);
hybrid needs a pool of more than one (on 1-CPU workers it is distributed, so it is not run twice).
The peer is stock RQ (`SimpleWorker`) on the thin topology, taking the same distributed chunks.
"""

from dataclasses import dataclass, replace

MODES = ("local", "distributed", "hybrid")


@dataclass(frozen=True)
class Topology:
    name: str
    replicas: int  # worker containers
    cpus: float  # CPU limit of each
    pool: int  # pool processes in each consumer
    consumers: int = 1  # RQ worker processes in each container
    worker_class: str = "lean"  # lean (ours) or simple (stock RQ SimpleWorker)

    def env(self) -> dict[str, str]:
        """The compose variables that select it."""
        return {
            "WORKER_REPLICAS": str(self.replicas),
            "WORKER_CPUS": f"{self.cpus:g}",
            "POOL_PROCESSES": str(self.pool),
            "WORKER_CONSUMERS": str(self.consumers),
            "WORKER_CLASS": self.worker_class,
        }

    def describe(self) -> str:
        consumers = f", {self.consumers} consumers" if self.consumers > 1 else ""
        stock = ", stock RQ SimpleWorker" if self.worker_class == "simple" else ""
        return f"{self.replicas} x {self.cpus:g} CPU{consumers}, pool {self.pool}{stock}"

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


def plan(chosen: list[Topology], modes: list[str], peer: bool = True) -> list[Group]:
    """The comparison's cells, grouped by stack configuration, in the order they run in each round."""
    groups = []
    for topology in chosen:
        cells = [Cell(topology, m) for m in modes if m == "local" or (m == "hybrid" and topology.pool > 1)]
        best = topology.one_consumer_per_cpu()
        if "distributed" in modes and best == topology:
            cells.append(Cell(topology, "distributed"))
        elif "distributed" in modes and topology.name == "fat":
            note = f"counter-example: 1 consumer, {topology.cpus:g} CPUs"
            cells.append(Cell(topology, "distributed", note))
        if cells:
            groups.append(Group(topology, tuple(cells)))
        if "distributed" in modes and best != topology:
            groups.append(Group(best, (Cell(best, "distributed"),)))
    if peer and "distributed" in modes:
        thin = next((t for t in chosen if t.name == "thin"), None)
        if thin is not None:
            stock = replace(thin, worker_class="simple")
            groups.append(Group(stock, (Cell(stock, "distributed", "peer: stock RQ"),)))
    return groups
