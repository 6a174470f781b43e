"""`python -m services.loadtest.chaos`: load the stack, SIGKILL a worker container mid-load, count.

Submits JOBS small jobs at once (local and distributed mixed), waits until a share of them has ended
(both workers busy, the queue still full), `docker kill`s one worker container (no warm shutdown: its
jobs are abandoned mid-run), then waits for every job and prints accepted / finished / failed / lost /
wrong (a chunk lost or merged twice shows as a wrong answer) and how long recovery took. Restores the
killed container at the end (`docker start`). Exits 1 if any accepted job was lost, failed or wrong.
"""

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import docker
import httpx

from services.loadtest.stack_info import worker_containers
from shared.kernels.primes import count_primes

ENDED = ("finished", "failed", "canceled")


@dataclass
class ChaosReport:
    accepted: int = 0
    finished: int = 0
    failed: int = 0
    lost: int = 0
    wrong: int = 0
    duplicated: int = 0
    killed: str = ""
    jobs_hit: int = 0  # jobs the killed container had begun that ended after the kill (re-run elsewhere)
    recovery_seconds: float = 0.0  # kill -> the last of those ended
    all_ended_seconds: float = 0.0  # kill -> every job ended
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.accepted > 0 and not (self.lost or self.failed or self.wrong)

    def line(self) -> str:
        return (
            f"chaos: accepted {self.accepted}, finished {self.finished}, failed {self.failed}, "
            f"lost {self.lost}, wrong {self.wrong} (duplicated {self.duplicated}); killed {self.killed}: "
            f"{self.jobs_hit} of its jobs re-ran elsewhere, the last ended {self.recovery_seconds:.1f} s "
            f"after the kill; all jobs ended {self.all_ended_seconds:.1f} s after the kill"
        )


def run_chaos(
    url: str,
    project: str,
    jobs: int = 200,
    stop: int = 20_000,
    kill_after: float = 0.25,
    deadline: float = 90,
) -> ChaosReport:
    """Run the scenario against the stack at `url` (compose project `project`)."""
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
    report = ChaosReport()
    client = docker.from_env()
    with httpx.Client(base_url=url, timeout=10) as api:
        accepted = []
        for i in range(jobs):
            response = api.post("/jobs", json=bodies[i % 2])
            if response.status_code == 202:
                accepted.append(response.json()["id"])
        views: dict[str, dict[str, Any]] = {}

        def poll() -> int:
            for job_id in accepted:
                if job_id not in views or views[job_id]["status"] not in ENDED:
                    views[job_id] = api.get(f"/jobs/{job_id}").json()
            return sum(v["status"] in ENDED for v in views.values())

        wait_until = time.monotonic() + 60
        while poll() < kill_after * len(accepted) and time.monotonic() < wait_until:
            time.sleep(0.2)
        # The victim: a container with a job in flight right now, so that the kill abandons work.
        containers = worker_containers(client, project)
        busy = {host for v in views.values() if v["status"] == "started" for host in v["pool_processes"]}
        victim = next((c for c in containers if c.attrs["Config"]["Hostname"] in busy), containers[0])
        victim_host = victim.attrs["Config"]["Hostname"]
        killed_at = time.time()
        victim.kill()
        end_by = time.monotonic() + deadline
        while poll() < len(accepted) and time.monotonic() < end_by:
            time.sleep(0.5)
        all_ended = time.time() - killed_at
    victim.start()
    client.close()
    finished = [v for v in views.values() if v["status"] == "finished"]
    wrong = [v for v in finished if v["result"] != answer]
    hit = [
        v for v in views.values() if victim_host in v["pool_processes"] and (v["ended_at"] or 0) > killed_at
    ]
    report.accepted = len(accepted)
    report.finished = len(finished)
    report.failed = sum(v["status"] == "failed" for v in views.values())
    report.lost = sum(v["status"] not in ENDED for v in views.values()) + (len(accepted) - len(views))
    report.wrong = len(wrong)
    report.duplicated = sum(v["result"]["count"] > answer["count"] for v in wrong)
    report.killed = victim.name
    report.jobs_hit = len(hit)
    report.recovery_seconds = max((v["ended_at"] - killed_at for v in hit), default=0.0)
    report.all_ended_seconds = all_ended
    report.examples = [v for v in views.values() if v["status"] != "finished" or v in wrong][:3]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.loadtest.chaos", description=__doc__)
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('API_PORT', '8000')}")
    parser.add_argument("--project", default=os.environ.get("COMPOSE_PROJECT_NAME", "cpu-contrast"))
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--stop", type=int, default=100_000, help="each job counts the primes in [0, stop)")
    args = parser.parse_args(argv)
    report = run_chaos(args.url, args.project, args.jobs, args.stop)
    print(report.line())
    for example in report.examples:
        print("  not exact:", {k: example.get(k) for k in ("id", "status", "error", "result")})
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
