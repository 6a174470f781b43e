"""`python -m services.tools.loadtest.chaos`: load the stack, inject a fault mid-load, account for every job.

Submits JOBS jobs at once (local and distributed mixed), waits until a share of them has ended (both
workers busy, the queue still full), injects the fault (services/tools/loadtest/faults.py: kill a worker
container, kill a pool process, restart Redis, stop a worker), waits for every job and prints accepted
/ finished / failed / lost / wrong (a chunk lost or merged twice shows as a wrong answer) and how long
recovery took; then restores the stack. Exits 1 if any accepted job was lost, failed or wrong.

`--schedule random` instead runs a seeded random schedule of overlapping faults under a recorded load,
and checks the history (services/tools/loadtest/random_chaos.py).
"""

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import httpx

from services.tools import api_auth, preflight, stack
from services.tools.loadtest.faults import FAULTS, Fault, injected
from services.tools.loadtest.schedule import KINDS
from services.tools.loadtest.stack_info import worker_containers
from services.tools.waiting import settled, wait_for
from shared.job_status import ENDED
from shared.kernels.primes import count_primes


@dataclass
class ChaosReport:
    fault: str = ""
    accepted: int = 0
    finished: int = 0
    failed: int = 0
    lost: int = 0
    wrong: int = 0
    duplicated: int = 0
    victim: str = ""
    jobs_hit: int = 0  # jobs the victim container had begun that ended after the fault
    recovery_seconds: float = 0.0  # fault -> the last of those ended
    all_ended_seconds: float = 0.0  # fault -> every job ended
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.accepted > 0 and not (self.lost or self.failed or self.wrong)

    def line(self) -> str:
        return (
            f"chaos {self.fault}: accepted {self.accepted}, finished {self.finished}, failed {self.failed}, "
            f"lost {self.lost}, wrong {self.wrong} (duplicated {self.duplicated}); victim {self.victim}: "
            f"{self.jobs_hit} of its jobs ended after the fault, the last "
            f"{self.recovery_seconds:.1f} s after it; all jobs ended {self.all_ended_seconds:.1f} s after it"
        )


def _wait_healthy(client: docker.DockerClient, project: str, timeout: float = 120) -> None:
    """Until every worker container is up and healthy (its RQ worker registered): a container restored
    after the previous fault must be taking jobs again before the next one is injected."""

    def all_healthy() -> bool | None:
        states = [c.attrs["State"] for c in stack.containers(client, project, "worker", running=False)]
        up = [s["Status"] == "running" and s.get("Health", {}).get("Status") == "healthy" for s in states]
        return (bool(up) and all(up)) or None

    wait_for(all_healthy, timeout, f"worker containers of {project} (all healthy)", interval=0.5)


def run_chaos(
    url: str,
    project: str,
    fault: Fault = FAULTS["kill-worker"],
    jobs: int = 200,
    stop: int = 100_000,
    inject_after: float = 0.25,
    deadline: float = 180,
) -> ChaosReport:
    """Run one fault scenario against the stack at `url` (compose project `project`)."""
    bodies = [
        {"kernel": "primes", "params": {"start": 0, "stop": stop}},
        {
            "kernel": "primes",
            "params": {"start": 0, "stop": stop},
            "mode": "distributed",
            "chunk_size": -(-stop // 4),
        },
    ]
    expected = count_primes(0, stop)
    answer = {"count": expected.count, "histogram": expected.histogram}
    client = docker.from_env()
    try:
        return _run(client, url, project, fault, bodies, answer, jobs, inject_after, deadline)
    finally:
        client.close()


def _run(
    client: docker.DockerClient,
    url: str,
    project: str,
    fault: Fault,
    bodies: list[dict[str, Any]],
    answer: dict[str, Any],
    jobs: int,
    inject_after: float,
    deadline: float,
) -> ChaosReport:
    (redis,) = stack.containers(client, project, "redis")
    _wait_healthy(client, project)
    with httpx.Client(base_url=url, headers=api_auth.headers(), timeout=10) as api:
        accepted = []
        for i in range(jobs):
            response = api.post("/jobs", json=bodies[i % 2])
            if response.status_code == 202:
                accepted.append(response.json()["id"])
        views: dict[str, dict[str, Any]] = {}

        def poll() -> int:
            for job_id in accepted:
                if job_id not in views or views[job_id]["status"] not in ENDED:
                    try:
                        response = api.get(f"/jobs/{job_id}")
                    except httpx.HTTPError:
                        break  # the API restarting its connection: next round
                    if response.status_code != 200:
                        break  # 503 while Redis is away: next round
                    views[job_id] = response.json()
            return sum(v["status"] in ENDED for v in views.values())

        # At most a minute for the share of jobs to end before the fault; it is injected either way.
        settled(lambda: poll() >= inject_after * len(accepted), 60, 0.2)
        # The victim: a worker container with a job in flight right now, so that the fault hits work.
        containers = worker_containers(client, project)
        busy = {host for v in views.values() if v["status"] == "started" for host in v["pool_processes"]}
        victim = next((c for c in containers if c.attrs["Config"]["Hostname"] in busy), containers[0])
        victim_host = victim.attrs["Config"]["Hostname"]
        injected_at = time.time()
        # Restored however the wait ends: every job ended, the deadline, an error or Ctrl-C.
        with injected(fault, victim, redis):
            settled(lambda: poll() >= len(accepted), deadline, 0.5)
            all_ended = time.time() - injected_at
    finished = [v for v in views.values() if v["status"] == "finished"]
    wrong = [v for v in finished if v["result"] != answer]
    hit = [
        v for v in views.values() if victim_host in v["pool_processes"] and (v["ended_at"] or 0) > injected_at
    ]
    return ChaosReport(
        fault=fault.name,
        accepted=len(accepted),
        finished=len(finished),
        failed=sum(v["status"] == "failed" for v in views.values()),
        lost=sum(v["status"] not in ENDED for v in views.values()) + len(accepted) - len(views),
        wrong=len(wrong),
        duplicated=sum(v["result"]["count"] > answer["count"] for v in wrong),
        victim=victim.name,
        jobs_hit=len(hit),
        recovery_seconds=max((v["ended_at"] - injected_at for v in hit), default=0.0),
        all_ended_seconds=all_ended,
        examples=[v for v in views.values() if v["status"] != "finished" or v in wrong][:3],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.tools.loadtest.chaos", description=__doc__)
    parser.add_argument("--url", default=stack.default_url())
    parser.add_argument("--project", default=stack.default_project())
    parser.add_argument(
        "--faults",
        default="kill-worker",
        help=f"comma-separated, run one after another: {', '.join(FAULTS)}, or all; with --schedule random, "
        f"the kinds it deals from: {', '.join(KINDS)}, or all",
    )
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--stop", type=int, default=100_000, help="each job counts the primes in [0, stop)")
    parser.add_argument("--schedule", choices=("fixed", "random"), default="fixed")
    parser.add_argument("--duration", type=float, default=600, help="random: seconds of load and faults")
    parser.add_argument("--seed", type=int, default=1, help="random: the same seed, the same faults")
    parser.add_argument("--rate", type=float, default=15, help="random: jobs submitted per second")
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    preflight.add_wait_workers_option(parser)
    args = parser.parse_args(argv)
    # The fixed faults, one after another; or the random schedule's kinds, dealt at random.
    known = list(KINDS) if args.schedule == "random" else list(FAULTS)
    names = known if args.faults == "all" else [n for n in args.faults.split(",") if n]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        parser.error(f"--faults takes {', '.join(known)} or all (not {', '.join(unknown)})")
    try:
        preflight.require_api(args.url)
        client = preflight.docker_client()
        try:
            preflight.require_containers(client, args.project)
        finally:
            client.close()
        preflight.wait_for_workers(
            args.url, args.wait_workers, lambda line: print(f"chaos: {line}", flush=True)
        )
    except preflight.NotReady as exc:
        return preflight.refuse("chaos", exc)
    if args.schedule == "random":
        from services.tools.loadtest.random_chaos import run_random

        outcome = run_random(
            args.url, args.project, args.seed, args.duration, args.reports, args.rate, kinds=names
        )
        print("\n".join(outcome.lines()), flush=True)
        return 0 if outcome.ok else 1
    ok = True
    for name in names:
        print(f"{name}: {FAULTS[name].what}, with {args.jobs} jobs in flight", flush=True)
        report = run_chaos(args.url, args.project, FAULTS[name], args.jobs, args.stop)
        print(report.line(), flush=True)
        for example in report.examples:
            print("  not exact:", {k: example.get(k) for k in ("id", "status", "error", "result")})
        ok = ok and report.ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
