"""make compare's rows in one container, no queue: the ceiling's jobs on the stdlib's other executors.

Each round, right after its ceiling, the same jobs cut into the same tasks and dealt out the same way
(worker/shares.py) run in the worker image under the same `--cpus` budget, on `budget` workers of:
- threads (GIL): a `ThreadPoolExecutor`, the counter-example. The kernels are pure Python, so one
  thread runs at a time: about one core's work, half the ceiling on 2 cores; its `cores` column says so;
- ProcessPoolExecutor: a fork `concurrent.futures.ProcessPoolExecutor`, the stdlib's other pool;
- subinterpreters: a `concurrent.futures.InterpreterPoolExecutor` (PEP 734), in the worker image built on
  CPython 3.14 (compose's `worker-py314`, profile `py314`, which the tools build): threads of one
  process, each running its own interpreter with its own GIL;
- free-threaded: threads of CPython 3.14t (built `--disable-gil`: the worker-py314t image, on a base
  compiled by services/python314t/build.sh before compose builds the worker on it), merging into one
  tally under a `threading.Lock`; the runner fails if the GIL is on before or after its clock. Its
  single-thread cost: a bare Pool of one process in its image against one in CPython 3.14's, same round.
Every row: its answers checked against the exact one, its share of the same round's ceiling, and the
median and range over the rounds. A row in an image of its own (subinterpreters: another Python) is read
against a bare Pool run in that image in the same round, so that the Python's own speed is not counted.
"""

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import docker

from services.tools.loadtest.compare.references import as_round, dealt_run
from services.tools.loadtest.compare.rows import Baseline, CeilingRound, RuntimeRound, RuntimeSummary
from services.tools.loadtest.compare.stack import REPO, ComposeStack
from services.tools.loadtest.spread import show, spread
from services.tools.loadtest.stack_info import worker_image
from services.tools.loadtest.workload import Workload


@dataclass(frozen=True)
class Versus:
    """The image a row's single-thread speed is read against, in the same round, and its Python's name."""

    service: str
    profile: str
    python: str  # as the note says it: `one thread at 85 % of {python}'s speed`


@dataclass(frozen=True)
class Runtime:
    key: str  # worker.ceiling's --executor
    label: str
    executor: str  # the stdlib class that runs the shares
    note: str  # `{budget}`: the CPU budget
    # The compose profile of the service whose image runs it; None: the stack's own worker image.
    profile: str | None = None
    service: str = "worker"
    # The script that builds its service's base image (PYTHON_IMAGE) when missing: no registry has it.
    base_builder: Path | None = None
    # The image its single-thread speed is read against, in the same round.
    versus: Versus | None = None
    # Whether its runs report if the GIL was on (a free-threaded build can turn it back on).
    reports_gil: bool = False

    def layout(self, budget: int) -> str:
        return f"{self.executor}({budget}), --cpus {budget}"

    def image(self, client: docker.DockerClient, stack: ComposeStack) -> str:
        """The image it runs in: the running workers' (the ceiling's), or its own profile's service's."""
        if self.profile is None:
            return worker_image(client, stack.project)
        return stack.image(self.service, self.profile)


RUNTIMES = {
    "threads": Runtime(
        "threads",
        "threads (GIL)",
        "ThreadPoolExecutor",
        "counter-example: pure-Python kernels hold the GIL, one thread runs at a time: ~1 core of {budget}",
    ),
    "processes": Runtime(
        "processes", "ProcessPoolExecutor", "ProcessPoolExecutor", "the stdlib's other pool (fork)"
    ),
    "interpreters": Runtime(
        "interpreters",
        "subinterpreters",
        "InterpreterPoolExecutor",
        "CPython 3.14 image, % of a bare Pool in that image (same round and budget); sized from the quota "
        "(its default: os.process_cpu_count() + 4); each interpreter its own GIL, in one process; each "
        "share's tasks and answers pickled across",
        profile="py314",
        service="worker-py314",
    ),
    "free-threaded": Runtime(
        "free-threaded",
        "free-threaded threads",
        "ThreadPoolExecutor",
        "CPython 3.14t image (--disable-gil), % of a bare Pool in that image (same round and budget); "
        "threads merge into one tally under a threading.Lock; the GIL checked off before and after each run; "
        "worker.ceiling's runner, not the RQ consumer, whose hiredis (redis-py's parser) turns the GIL on",
        profile="py314t",
        service="worker-py314t",
        base_builder=REPO / "services" / "python314t" / "build.sh",
        versus=Versus("worker-py314", "py314", "CPython 3.14"),
        reports_gil=True,
    ),
}


# The rows run unless others are asked for. Not free-threaded: its base image is compiled from CPython's
# source, which a machine may not have (services/python314t/build.sh says so), so it runs when asked.
DEFAULT = ("threads", "processes", "interpreters")


def profiles(runtimes: Sequence[Runtime]) -> list[str]:
    """The compose profiles whose images these rows need built, besides the stack's."""
    return sorted(
        {r.profile for r in runtimes if r.profile} | {r.versus.profile for r in runtimes if r.versus}
    )


def build_bases(stack: ComposeStack, runtimes: Sequence[Runtime]) -> None:
    """The base image of each row that has a builder, built if missing (before compose builds on it)."""
    for r in runtimes:
        if r.base_builder is None or r.profile is None:
            continue
        base = stack.build_arg(r.service, r.profile, "PYTHON_IMAGE")
        done = subprocess.run(["bash", str(r.base_builder), base], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{r.label}: {done.stderr.strip() or done.stdout.strip()}")


def chosen(keys: Sequence[str]) -> list[Runtime]:
    """The rows asked for, in RUNTIMES order; ValueError for an unknown one."""
    unknown = set(keys) - set(RUNTIMES)
    if unknown:
        raise ValueError(f"--runtimes takes a comma-separated subset of {', '.join(RUNTIMES)}")
    return [r for key, r in RUNTIMES.items() if key in keys]


def measure_runtimes(
    client: docker.DockerClient,
    stack: ComposeStack,
    runtimes: Sequence[Runtime],
    workload: Workload,
    budget: int,
    ceiling: CeilingRound,
    baseline: Baseline,
    index: int,
) -> dict[str, RuntimeRound]:
    """This round of every row asked for, beside this round's ceiling; by key."""
    measured = {}
    for r in runtimes:
        image = r.image(client, stack)
        # A row in an image of its own runs another Python, whose speed differs (3.14's primes ran ~1.7x
        # 3.13's on one machine): it is read against a bare Pool in its own image, this round, same budget.
        own = ceiling
        if r.profile is not None:
            own = as_round(dealt_run(client, image, workload, budget), workload, baseline, budget)
        run = as_round(dealt_run(client, image, workload, budget, r.key), workload, baseline, budget)
        single = None
        if r.versus is not None:
            # One process each, one CPU each: the Python's own speed, no parallelism in it.
            other = stack.image(r.versus.service, r.versus.profile)
            single = (
                dealt_run(client, image, workload, 1)["jobs_per_second"]
                / (dealt_run(client, other, workload, 1)["jobs_per_second"])
            )
        measured[r.key] = runtime_round(run, own, index, single)
    return measured


def runtime_round(
    run: CeilingRound, ceiling: CeilingRound, index: int, single_thread: float | None = None
) -> RuntimeRound:
    """A row's run as its round: its share of the round's ceiling, and the cores it kept busy."""
    return RuntimeRound(
        round=index,
        run=run,
        of_ceiling=run.jobs_per_second / ceiling.jobs_per_second,
        cores=((run.workers_cpu_seconds or 0) + (run.parent_cpu_seconds or 0)) / run.wall_seconds,
        single_thread=single_thread,
    )


def said(runtime: Runtime, row: RuntimeRound) -> str:
    """A round of a row as the run's progress shows it."""
    return (
        f"{runtime.label}: {'exact' if row.run.exact else 'WRONG'}, {row.run.jobs_per_second:.2f} jobs/s, "
        f"{100 * row.of_ceiling:.0f} % of the ceiling, {row.cores:.2f} cores"
        + (f", GIL {'on' if row.run.gil_enabled else 'off'}" if runtime.reports_gil else "")
        + (
            f", one thread at {100 * row.single_thread:.0f} % of {runtime.versus.python}'s"
            if row.single_thread and runtime.versus
            else ""
        )
    )


def summarise_runtime(runtime: Runtime, budget: int, rounds: Sequence[RuntimeRound]) -> RuntimeSummary:
    """A row over its rounds: medians and ranges, and how many of its jobs were exact."""
    return RuntimeSummary(
        key=runtime.key,
        label=runtime.label,
        layout=runtime.layout(budget),
        note=runtime.note.format(budget=budget)
        + single_thread_note(runtime, [r.single_thread for r in rounds]),
        jobs=sum(r.run.jobs for r in rounds),
        # worker.ceiling says whether every job's answer was equal, and what it was: a round's jobs are all
        # exact, or not counted as exact at all.
        exact=sum(r.run.jobs for r in rounds if r.run.exact),
        jobs_per_second=spread([r.run.jobs_per_second for r in rounds]),
        of_ceiling=spread([r.of_ceiling for r in rounds]),
        efficiency=spread([r.run.efficiency for r in rounds]),
        cores=spread([r.cores for r in rounds]),
        rounds=list(rounds),
        single_thread=spread([r.single_thread for r in rounds if r.single_thread is not None]),
    )


def single_thread_note(runtime: Runtime, ratios: Sequence[float | None]) -> str:
    """`; one thread at 83 (80–85) % of CPython 3.14's speed`: the rounds' median and range, or ''."""
    measured = spread(ratios)
    if measured is None or runtime.versus is None:
        return ""
    return f"; one thread at {show(measured, '.0f', 100)} % of {runtime.versus.python}'s speed"
