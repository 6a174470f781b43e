"""A running job reports rising progress; POST /jobs/{id}/cancel stops it early in every mode, and says so."""

import socket
import time

import httpx
import pytest

from tests.conftest import POOL_PROCESSES, WORKER_PROCESSES
from tests.helpers import submit, wait_for, wait_for_job

pytestmark = pytest.mark.integration

# ~5 s of work on two pool processes, in 100 chunks: long enough to watch and to cancel.
LONG_PRIMES = {"kernel": "primes", "params": {"start": 0, "stop": 10_000_000}, "chunk_size": 100_000}


def test_progress_rises_to_100_percent(api: httpx.Client) -> None:
    body = {"kernel": "primes", "params": {"start": 0, "stop": 3_000_000}, "chunk_size": 75_000}
    job_id = submit(api, body)
    seen = []
    while True:
        view = api.get(f"/jobs/{job_id}").json()
        seen.append(view["progress"]["percent"])
        if view["status"] in ("finished", "failed"):
            break
        time.sleep(0.02)
    assert view["status"] == "finished"
    assert seen == sorted(seen), "progress went backwards"
    assert any(0 < p < 100 for p in seen), f"no intermediate progress seen: {sorted(set(seen))}"
    assert seen[-1] == 100.0
    assert view["progress"] == {"chunks_done": 40, "chunks_total": 40, "percent": 100.0}


@pytest.mark.parametrize("mode", ["local", "distributed", "hybrid"])
def test_cancel_stops_a_running_job_early(api: httpx.Client, mode: str) -> None:
    job_id = submit(api, {**LONG_PRIMES, "mode": mode})
    wait_for(
        lambda: api.get(f"/jobs/{job_id}").json()["progress"]["chunks_done"] >= 2 or None, 60, "progress"
    )
    response = api.post(f"/jobs/{job_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    # The workers are free again soon: a small job behind it finishes quickly.
    started = time.monotonic()
    small = wait_for_job(api, submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 1000}}), 30)
    assert small["result"]["count"] == 168
    view = api.get(f"/jobs/{job_id}").json()
    assert view["status"] == "canceled"
    assert view["result"] is None
    assert view["progress"]["chunks_done"] < view["progress"]["chunks_total"] == 100
    assert time.monotonic() - started < 10
    # Canceling again, or a finished job, is a conflict.
    assert api.post(f"/jobs/{job_id}/cancel").status_code == 409
    assert api.post(f"/jobs/{small['id']}/cancel").status_code == 409


def test_cancel_a_queued_job(api: httpx.Client) -> None:
    blockers = [submit(api, {**LONG_PRIMES, "chunk_size": None}) for _ in range(2)]
    queued = submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 1000}})
    assert api.post(f"/jobs/{queued}/cancel").json()["status"] == "canceled"
    for blocker in blockers:
        api.post(f"/jobs/{blocker}/cancel")
    time.sleep(0.5)
    view = api.get(f"/jobs/{queued}").json()
    assert view["status"] == "canceled"
    assert view["started_at"] is None and view["result"] is None


def test_workers_report_their_own_cpu(api: httpx.Client) -> None:
    reports = wait_for(lambda: api.get("/workers").json() or None, 10, "worker reports")
    (report,) = [r for r in reports if r["host"] == socket.gethostname()]
    # The session's worker processes share this host: one entry, their pools summed.
    assert report["consumers"] == WORKER_PROCESSES
    assert report["pool_processes"] == WORKER_PROCESSES * POOL_PROCESSES
    assert report["cpu_seconds"] is not None and report["cpu_seconds"] > 0
    assert report["cpu_percent"] is not None and report["cpu_percent"] >= 0
    assert report["jobs_done"] >= 0 and report["chunks_done"] >= 0
    # The CFS counters are in every report: all None where this host has no cgroup cpu.stat to read
    # (real containers: tests/e2e/test_load_and_compare.py).
    periods, throttled, seconds = (
        report[k] for k in ("cpu_periods", "cpu_throttled_periods", "cpu_throttled_seconds")
    )
    assert (periods, throttled, seconds) == (None, None, None) or (0 <= throttled <= periods and seconds >= 0)
