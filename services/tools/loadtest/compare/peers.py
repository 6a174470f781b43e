"""make compare's queue peers in containers: other projects' queues on our topologies' CPU budget.

Each round, after the cells, each peer asked for (PEERS) runs on each topology compared under a quota
(thin: BUDGET containers of 1 CPU; fat: one of BUDGET CPUs): the stack's compose file starts PEER_REPLICAS
worker containers of its profile (services/peers/<peer>/, an image of its own) with the topology's CPU
quota and weight, then its driver, in the same image on the stack's network, sends the compare
workload's jobs cut into our distributed plan's chunks, one task each, all at once, and collects every
answer (services/peers/drive.py). The host reads the worker containers' cgroups at the driver's clock
marks: their CPU and throttling over exactly the timed run. Every job's answer is checked against the
exact one; jobs/s are read beside the same round's bare-Pool ceiling (the peers' images run the worker
image's Python). The workers are removed after each run, so that they cost nothing in the other cells.
"""

import json
import math
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

import docker

from services.peers.drive import START, STOP
from services.tools.loadtest.compare.rows import Baseline, CeilingRound, PeerRound, PeerSummary, Throttled
from services.tools.loadtest.compare.stack import ComposeStack
from services.tools.loadtest.spread import spread
from services.tools.loadtest.topologies import Topology, cpu_shares
from services.tools.loadtest.workload import Workload
from services.tools.monitor.cgroups import CgroupMeter, CpuCounters, throttled_between, used_between
from services.tools.stack import containers, host_settings
from shared.cgroup.throttling import ZERO
from shared.tally import Tally


@dataclass(frozen=True)
class QueuePeer:
    key: str  # services/peers/<key>/, its compose profile, and the driver's PEER
    label: str
    worker: str  # its compose services
    driver: str
    # How its layout names its processes per container: `prefork -c {n}`, `{n} process{es} x 1 thread`.
    processes: str
    # Its configuration; `{processes}` per container, from `{source}`; `{host}`: the host's CPU count.
    note: str
    also: tuple[str, ...] = ()  # its other services, started before its workers and removed with them

    def layout(self, topology: Topology, processes: int) -> str:
        named = self.processes.format(n=processes, es="" if processes == 1 else "es")
        return f"{topology.replicas} x {topology.cpus:g} CPU, {named}"


PEERS = {
    "celery": QueuePeer(
        "celery",
        "Celery prefork",
        "celery-worker",
        "celery-driver",
        "prefork -c {n}",
        "peer: Celery 5.7 prefork, Redis broker and results (db {db}), acks_late, prefetch multiplier 1, "
        "concurrency {processes} from {source} (Celery's default: the host's {host} CPUs)",
    ),
    "dramatiq": QueuePeer(
        "dramatiq",
        "Dramatiq",
        "dramatiq-worker",
        "dramatiq-driver",
        "{n} process{es} x 1 thread",
        "peer: Dramatiq 2.2, Redis broker and results (db {db}), {processes} processes from {source} "
        "(Dramatiq's default: the host's {host} CPUs), 1 thread each, prefetch 2 (its default), no retries",
    ),
    "dask": QueuePeer(
        "dask",
        "Dask distributed",
        "dask-worker",
        "dask-driver",
        "{n} process{es} x 1 thread",
        "peer: Dask distributed 2026.8, its scheduler in a container of its own (no CPU limit, as Redis), "
        "nworkers {processes} from {source} (Dask's auto reads the quota too), nthreads 1, futures gathered",
        also=("dask-scheduler",),
    ),
}


def chosen(keys: Sequence[str]) -> list[QueuePeer]:
    """The peers asked for, in PEERS order; ValueError for an unknown one."""
    unknown = set(keys) - set(PEERS)
    if unknown:
        raise ValueError(f"--peers takes a comma-separated subset of {', '.join(PEERS)}")
    return [p for key, p in PEERS.items() if key in keys]


def processes_each(topology: Topology) -> int:
    """Worker processes per container: PEER_PROCESSES, else the container's quota rounded up."""
    return host_settings().peer_processes or max(1, math.ceil(topology.cpus))


def env(topology: Topology) -> dict[str, str]:
    """The compose variables that size a peer's workers as this topology's."""
    return {
        "PEER_REPLICAS": str(topology.replicas),
        "PEER_CPUS": f"{topology.cpus:g}",
        "PEER_CPU_SHARES": str(cpu_shares(topology.cpus)),
    }


def driver_command(
    peer: QueuePeer, topology: Topology, workload: Workload, hosts: Sequence[str]
) -> list[str]:
    """services.peers.drive's command line: the workload's jobs, cut as it cuts them, on these workers."""
    return [
        *("python", "-m", "services.peers.drive", peer.key, workload.kernel),
        *(str(workload.size), str(workload.jobs), "--hosts", ",".join(hosts)),
        *("--each", str(processes_each(topology))),
        *(("--chunk-size", str(workload.chunk_size)) if workload.chunk_size else ()),
    ]


def measure_peer(
    client: docker.DockerClient,
    stack: ComposeStack,
    peer: QueuePeer,
    topology: Topology,
    workload: Workload,
    budget: int,
    ceiling: CeilingRound,
    baseline: Baseline,
    index: int,
) -> PeerRound:
    """One run of `peer` on `topology`'s containers beside this round's ceiling; its workers removed after."""
    profile = ("--profile", peer.key)
    services = (*peer.also, peer.worker)
    stack.compose(*profile, "up", "-d", "--no-deps", *services, env=env(topology))
    try:
        workers = containers(client, stack.project, peer.worker)
        meter = CgroupMeter({c.attrs["Config"]["Hostname"]: c.attrs["State"]["Pid"] for c in workers})
        hosts = [c.attrs["Config"]["Hostname"] for c in workers]
        command = driver_command(peer, topology, workload, hosts)
        before, after, figures = _drive(stack, profile, peer.driver, command, meter)
    finally:
        stack.compose(*profile, "rm", "--stop", "--force", *services)
    used, _ = used_between(before, after)
    throttled = sum(throttled_between(before, after).values(), ZERO)
    exact = figures["all_equal"] and Tally(figures["count"], figures["histogram"]) == workload.expected()
    return PeerRound(
        round=index,
        jobs=figures["jobs"],
        exact=exact,
        processes=figures["processes"],
        chunks_per_job=figures["chunks_per_job"],
        wall_seconds=figures["wall_seconds"],
        jobs_per_second=figures["jobs_per_second"],
        of_ceiling=figures["jobs_per_second"] / ceiling.jobs_per_second,
        efficiency=figures["jobs_per_second"] * baseline.seconds_per_job / budget,
        workers_cpu_seconds=used,
        cores=sum(used.values()) / figures["wall_seconds"],
        throttling=Throttled(**throttled.as_dict()),
    )


def _drive(
    stack: ComposeStack, profile: tuple[str, ...], driver: str, command: list[str], meter: CgroupMeter
) -> tuple[CpuCounters, CpuCounters, dict]:
    """The driver's run (`compose run`), the workers' cgroups read at its clock marks; its JSON."""
    run_driver = stack.invocation(*profile, "run", "--rm", "-T", "--no-deps", driver, *command)
    readings: dict[str, CpuCounters] = {}
    lines = []
    with subprocess.Popen(**run_driver, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as run:
        assert run.stdout is not None and run.stderr is not None
        for line in run.stdout:
            line = line.strip()
            if line in (START, STOP):
                readings[line] = meter.read(time.monotonic())
            lines.append(line)
        errors = run.stderr.read()
    if run.returncode != 0 or set(readings) != {START, STOP}:
        raise RuntimeError(f"{driver} failed ({run.returncode}):\n" + "\n".join(lines) + errors)
    return readings[START], readings[STOP], json.loads(lines[-1])


def said(peer: QueuePeer, topology: Topology, row: PeerRound) -> str:
    """A round of a peer as the run's progress shows it."""
    return (
        f"{topology.label} {peer.label}: {'exact' if row.exact else 'WRONG'}, "
        f"{row.jobs_per_second:.2f} jobs/s, {100 * row.of_ceiling:.0f} % of the ceiling, "
        f"{row.cores:.2f} cores"
    )


def summarise_peer(
    peer: QueuePeer, topology: Topology, host_cores: int, rounds: Sequence[PeerRound]
) -> PeerSummary:
    """A peer on a topology over its rounds: medians and ranges, and how many of its jobs were exact."""
    each = processes_each(topology)
    settings = host_settings()
    return PeerSummary(
        key=f"{peer.key} {topology.name}",
        peer=peer.key,
        label=peer.label,
        topology=topology.label,
        layout=peer.layout(topology, each),
        note=peer.note.format(
            db=settings.peer_redis_db,
            processes=each,
            source="PEER_PROCESSES" if settings.peer_processes else "the quota",
            host=host_cores,
        ),
        jobs=sum(r.jobs for r in rounds),
        exact=sum(r.jobs for r in rounds if r.exact),
        jobs_per_second=spread([r.jobs_per_second for r in rounds]),
        of_ceiling=spread([r.of_ceiling for r in rounds]),
        efficiency=spread([r.efficiency for r in rounds]),
        cores=spread([r.cores for r in rounds]),
        throttled_share=spread([r.throttling.throttled_share for r in rounds]),
        throttled_seconds=spread([r.throttling.throttled_seconds for r in rounds]),
        rounds=list(rounds),
    )
