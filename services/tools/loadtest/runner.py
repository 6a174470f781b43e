"""Drive the jobs: keep `concurrency` jobs in flight, poll each until it ends, time submit -> end."""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.tools import api_auth
from services.tools.loadtest.workload import Workload
from services.tools.waiting import wait_for
from shared.job_status import ENDED

# Seconds one long poll (GET /jobs/{id}?wait=) may wait for the job to end.
LONG_POLL = 10.0


@dataclass
class JobOutcome:
    """One submitted job as the client saw it."""

    job_id: str | None
    status: str  # finished, failed, canceled, "rejected" (not accepted), "lost" (no end before the timeout)
    latency: float  # seconds from submit to seeing it ended
    view: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def run_one(client: httpx.Client, workload: Workload, timeout: float) -> JobOutcome:
    """Submit one job and poll it until it ends or `timeout` passes (a failed poll is asked again)."""
    start = time.perf_counter()
    response = client.post("/jobs", json=workload.body())
    if response.status_code != 202:
        return JobOutcome(None, "rejected", time.perf_counter() - start, error=response.text)
    job_id = response.json()["id"]
    deadline = start + timeout

    def ended() -> dict[str, Any] | None:
        """One long poll, no longer than what is left of the deadline; the view once the job has ended."""
        wait = min(LONG_POLL, max(0.0, deadline - time.perf_counter()))
        view = client.get(f"/jobs/{job_id}", params={"wait": wait}, timeout=wait + 10).json()
        return view if view["status"] in ENDED else None

    try:
        view = wait_for(ended, max(0.0, deadline - time.perf_counter()), f"job {job_id}", interval=0)
    except TimeoutError:
        return JobOutcome(job_id, "lost", time.perf_counter() - start, error=f"not ended after {timeout:g}s")
    return JobOutcome(job_id, view["status"], time.perf_counter() - start, view, view.get("error"))


def run_all(
    base_url: str, workload: Workload, timeout: float, on_done: Callable[[JobOutcome], None]
) -> tuple[list[JobOutcome], float]:
    """Run every job of the workload; returns the outcomes and the wall time of the whole run."""
    limits = httpx.Limits(max_connections=workload.concurrency + 2)
    with httpx.Client(base_url=base_url, headers=api_auth.headers(), timeout=30, limits=limits) as client:
        start = time.perf_counter()
        with ThreadPoolExecutor(workload.concurrency) as pool:
            futures = [pool.submit(run_one, client, workload, timeout) for _ in range(workload.jobs)]
            outcomes = []
            for future in futures:
                outcome = future.result()
                outcomes.append(outcome)
                on_done(outcome)
        return outcomes, time.perf_counter() - start
