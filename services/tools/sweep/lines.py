"""The sweep's lines: each approach in its best honest configuration on one CPU budget, and the order
they run in so that the stack is reconfigured as seldom as possible.

- local: thin workers (a container per CPU, a pool of one): whole jobs, each container's pool running
  one job's tasks; the fat container runs one job at a time and idles a core at each job's tail.
- distributed: thin workers, one consumer per CPU, taking queue entries; `--distributed-consumers` runs
  more in each container (and as many stock RQ consumers for the peer), for one consumer's kernel to
  fill the moments another waits on Redis (on a 2-core host it does not move the knee: docs/GUIDE.md).
- hybrid: the fat container (all the budget, a pool of as many processes): each queue entry cut again
  into pool tasks (on 1-CPU workers hybrid is distributed, so it is not run there). One consumer by
  default: its pool waits while the consumer takes, stages and finishes an entry, and at an entry's
  tail; `--hybrid-consumers` runs more, each with its own pool, to fill those gaps.
- peer: stock RQ (`SimpleWorker`) on the thin workers, taking the same entries as `distributed`.
- threads, processes, interpreters, free-threaded: in one container, no queue, beside the stack like the
  ceiling: the ceiling's very tasks on GIL-bound threads, a `ProcessPoolExecutor`, an
  `InterpreterPoolExecutor` (in the CPython 3.14 worker image) or threads with no GIL (in the CPython 3.14t
  one, when asked for) (services/tools/loadtest/compare/runtimes.py).
The ceiling is no line: every line is read as a share of it, measured at the same point.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace

from services.tools.loadtest.compare.runtimes import DEFAULT, RUNTIMES, Runtime
from services.tools.loadtest.topologies import Cell, Topology, by_name
from services.tools.sweep.rows import SweepLine

KEYS = ("local", "distributed", "hybrid", "peer")
# The lines in one container, no queue: worker.ceiling's other executors.
IN_ONE = tuple(RUNTIMES)
# Those run unless the lines are given: not free-threaded, whose base a machine may not be able to build.
IN_ONE_DEFAULT = DEFAULT


@dataclass(frozen=True)
class Line:
    key: str  # local, distributed, hybrid, peer
    cell: Cell

    @property
    def label(self) -> str:
        """`distributed (2 x 1 CPU, pool 1)`: what the chart's legend and the sentences call it."""
        return f"{self.key} ({self.cell.topology.describe()})"

    def record(self) -> SweepLine:
        topology = self.cell.topology
        return SweepLine(self.key, self.label, self.cell.mode, topology.describe(), topology.worker_class)


def lines(
    budget: int, keys: Sequence[str] = KEYS, hybrid_consumers: int = 1, distributed_consumers: int = 1
) -> list[Line]:
    """The stack's lines asked for, on `budget` CPUs, in KEYS order (hybrid's fat container with
    `hybrid_consumers` consumers, distributed's and the peer's thin ones with `distributed_consumers`);
    ValueError for an unknown one."""
    unknown = set(keys) - set(KEYS)
    if unknown or not keys:
        raise ValueError(
            f"lines are a comma-separated subset of {', '.join((*KEYS, *IN_ONE))}, "
            f"with at least one of {', '.join(KEYS)}"
        )
    fat, thin = by_name(budget, ["fat", "thin"])
    takers = replace(thin, consumers=distributed_consumers)
    stock = replace(takers, worker_class="simple")
    every = {
        "local": Line("local", Cell(thin, "local")),
        "distributed": Line("distributed", Cell(takers, "distributed")),
        "hybrid": Line("hybrid", Cell(replace(fat, consumers=hybrid_consumers), "hybrid")),
        "peer": Line("peer", Cell(stock, "distributed", "peer: stock RQ")),
    }
    if budget < 2:
        del every["hybrid"]  # one CPU: no pool of more than one, hybrid is distributed
    return [every[key] for key in KEYS if key in keys and key in every]


def groups(chosen: Sequence[Line]) -> list[tuple[Topology, list[Line]]]:
    """The lines grouped by the stack configuration they need, in the order of first appearance."""
    found: dict[Topology, list[Line]] = {}
    for line in chosen:
        found.setdefault(line.cell.topology, []).append(line)
    return list(found.items())


def in_one(keys: Sequence[str]) -> list[Runtime]:
    """The lines in one container asked for, in RUNTIMES order."""
    return [runtime for key, runtime in RUNTIMES.items() if key in keys]


def in_one_record(runtime: Runtime, budget: int) -> SweepLine:
    """`threads (GIL) (ThreadPoolExecutor(2), --cpus 2)`: a line in one container as the report keeps it."""
    layout = runtime.layout(budget)
    return SweepLine(runtime.key, f"{runtime.label} ({layout})", "-", layout, "-")
