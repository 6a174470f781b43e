"""A running job reports rising progress; POST /jobs/{id}/cancel stops it early in every mode, and says so."""

import json
import socket
import time
from pathlib import Path

import httpx
import pytest
import redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from shared.entries import entry_id
from shared.settings import get_settings
from shared.worker_reports import PREFIX, SERIES_SUFFIX, merge_by_host
from tests.conftest import POOL_PROCESSES, WORKER_PROCESSES
from tests.helpers import BACKSTOP, submit, wait_for, wait_for_job

pytestmark = pytest.mark.integration
CGROUP = Path("/sys/fs/cgroup")

# ~5 s of work on two pool processes, in 100 chunks: long enough to watch and to cancel.
LONG_PRIMES = {"kernel": "primes", "params": {"start": 0, "stop": 10_000_000}, "chunk_size": 100_000}


def test_progress_rises_to_100_percent(api: httpx.Client) -> None:
    body = {"kernel": "primes", "params": {"start": 0, "stop": 3_000_000}, "chunk_size": 75_000}
    job_id = submit(api, body)
    seen = []

    def sample() -> dict | None:
        view = api.get(f"/jobs/{job_id}").json()
        seen.append(view["progress"]["percent"])
        return view if view["status"] in ("finished", "failed") else None

    view = wait_for(sample, BACKSTOP, "the job's end", interval=0.02)
    assert view["status"] == "finished"
    assert seen == sorted(seen), "progress went backwards"
    assert any(0 < p < 100 for p in seen), f"no intermediate progress seen: {sorted(set(seen))}"
    assert seen[-1] == 100.0
    assert view["progress"] == {"chunks_done": 40, "chunks_total": 40, "percent": 100.0}


def entries_done(client: redis.Redis, rq_ids: list[str]) -> bool | None:
    """True once workers have taken and finished every one of these queue entries (RQ's own status)."""
    jobs = Job.fetch_many(rq_ids, connection=client, serializer=JSONSerializer)
    return (
        all(job is not None and job.get_status(refresh=False) == JobStatus.FINISHED for job in jobs) or None
    )


@pytest.mark.parametrize("mode", ["local", "distributed", "hybrid"])
def test_cancel_stops_a_running_job_early(api: httpx.Client, redis_client: redis.Redis, mode: str) -> None:
    job_id = submit(api, {**LONG_PRIMES, "mode": mode})
    wait_for(
        lambda: api.get(f"/jobs/{job_id}").json()["progress"]["chunks_done"] >= 2 or None, 60, "progress"
    )
    response = api.post(f"/jobs/{job_id}/cancel")
    assert response.status_code == 200
    canceled = response.json()
    assert canceled["status"] == "canceled"
    # Every queue entry of the job is taken and done with: the running pool run stopped, the chunks still
    # queued were skipped.
    rq_ids = [entry_id(job_id)] if mode == "local" else [entry_id(job_id, i) for i in range(100)]
    wait_for(lambda: entries_done(redis_client, rq_ids), 60, "every entry of the job done with")
    view = api.get(f"/jobs/{job_id}").json()
    assert view["status"] == "canceled"
    assert view["result"] is None
    # Short of the end: a local job's pool counts its tasks until it stops, so it stopped early.
    assert view["progress"]["chunks_done"] < view["progress"]["chunks_total"] == 100
    if mode != "local":
        # Nothing counted once canceled: no chunk was merged after the cancel.
        assert view["progress"] == canceled["progress"]
    # The workers are free again: a small job behind it is answered.
    small = wait_for_job(api, submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 1000}}), 30)
    assert small["result"]["count"] == 168
    # Canceling again, or a finished job, is a conflict.
    for ended, status in ((job_id, "canceled"), (small["id"], "finished")):
        response = api.post(f"/jobs/{ended}/cancel")
        assert (response.status_code, response.json()) == (
            409,
            {"detail": f"job '{ended}' has already ended: {status}"},
        )


def test_cancel_a_queued_job(api: httpx.Client, redis_client: redis.Redis) -> None:
    blockers = [submit(api, {**LONG_PRIMES, "chunk_size": None}) for _ in range(2)]
    queued = submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 1000}})
    assert api.post(f"/jobs/{queued}/cancel").json()["status"] == "canceled"
    for blocker in blockers:
        api.post(f"/jobs/{blocker}/cancel")
    # A worker takes the canceled entry in its turn and skips it, never starting it.
    wait_for(lambda: entries_done(redis_client, [entry_id(queued)]), 30, "a worker to take the entry")
    view = api.get(f"/jobs/{queued}").json()
    assert view["status"] == "canceled"
    assert view["started_at"] is None and view["result"] is None


def reported_since(client: redis.Redis, since: float) -> dict | None:
    """This host's merged report, once each of the session's worker processes has reported after `since`."""
    keys = [
        k
        for k in client.scan_iter(match=f"{PREFIX}{socket.gethostname()}.*")
        if not k.endswith(SERIES_SUFFIX.encode())
    ]
    reports = [json.loads(raw) for raw in client.mget(keys) if raw is not None] if keys else []
    if len(reports) == WORKER_PROCESSES and all(r["updated_at"] > since for r in reports):
        return merge_by_host(reports)[0]
    return None


def cfs_counters() -> tuple[int, int, float] | None:
    """(periods, throttled periods, seconds throttled) as this host's cgroup cpu.stat counts them now
    (v2 at the top, v1 under `cpu`); None if it has no CFS counters."""
    for path in (CGROUP / "cpu.stat", CGROUP / "cpu" / "cpu.stat"):
        if not path.is_file():
            continue
        fields = dict(line.split(maxsplit=1) for line in path.read_text().splitlines() if " " in line)
        if "nr_periods" in fields and "nr_throttled" in fields:
            waited = int(fields["throttled_usec"]) / 1e6 if "throttled_usec" in fields else None
            if waited is None and "throttled_time" in fields:
                waited = int(fields["throttled_time"]) / 1e9  # v1 counts nanoseconds
            if waited is not None:
                return int(fields["nr_periods"]), int(fields["nr_throttled"]), waited
    return None


def successive_reports(client: redis.Redis, key: str) -> tuple[dict, dict]:
    """Two reports one worker process wrote one after the other: looked at more often than it writes, so
    that no report came between them."""
    looked: list[tuple[dict, float]] = []  # the last report seen, and when the look began

    def look() -> tuple[dict, dict] | None:
        began = time.monotonic()
        report = json.loads(client.get(key))
        if looked and report["updated_at"] != looked[0][0]["updated_at"]:
            earlier, earlier_began = looked[0]
            if time.monotonic() - earlier_began < get_settings().heartbeat_seconds / 2:
                return earlier, report
        looked[:] = [(report, began)]
        return None

    return wait_for(look, BACKSTOP, "two successive reports of one worker process", interval=0.02)


def test_workers_report_their_own_cpu_and_work(api: httpx.Client, redis_client: redis.Redis) -> None:
    cfs_before = cfs_counters()
    # Settled: every process has reported since the jobs of earlier tests ended.
    since = time.time()
    before = wait_for(lambda: reported_since(redis_client, since), BACKSTOP, "fresh worker reports")
    body = {"kernel": "primes", "params": {"start": 0, "stop": 400_000}, "chunk_size": 100_000}
    job = wait_for_job(api, submit(api, body))
    assert job["progress"]["chunks_total"] == 4
    since = time.time()
    after = wait_for(lambda: reported_since(redis_client, since), BACKSTOP, "worker reports after the job")
    (report,) = [r for r in api.get("/workers").json() if r["host"] == socket.gethostname()]
    cfs_after = cfs_counters()
    # The session's worker processes share this host: one entry, their pools summed.
    assert report["consumers"] == WORKER_PROCESSES
    assert report["pool_processes"] == WORKER_PROCESSES * POOL_PROCESSES
    # One local job of four pool tasks more.
    assert (report["jobs_done"], report["chunks_done"]) == (
        before["jobs_done"] + 1,
        before["chunks_done"] + 4,
    )
    assert (after["jobs_done"], after["chunks_done"]) == (report["jobs_done"], report["chunks_done"])
    # The cgroup's CPU seconds (every process in it) grew by at least the CPU the job's processes spent.
    assert report["cpu_seconds"] - before["cpu_seconds"] >= job["cpu_seconds"] > 0, (report, job)
    # The CFS counters: what the host's cgroup cpu.stat counted around the reports, read here; all None
    # where it counts none (real containers with a quota: tests/e2e/test_load_and_compare.py).
    counters = tuple(report[k] for k in ("cpu_periods", "cpu_throttled_periods", "cpu_throttled_seconds"))
    if cfs_before is None:
        assert (cfs_after, counters) == (None, (None, None, None)), report
    else:
        assert None not in counters, report
        assert all(lo <= n <= hi for lo, n, hi in zip(cfs_before, counters, cfs_after, strict=True)), (
            cfs_before,
            counters,
            cfs_after,
        )
    # CPU % (100 = one core) between two beats of one process: the CPU seconds its cgroup gained between
    # the two reports over the seconds between them (read at nearly the same moment as the CPU).
    key = sorted(
        k.decode()
        for k in redis_client.scan_iter(match=f"{PREFIX}{socket.gethostname()}.*")
        if not k.endswith(SERIES_SUFFIX.encode())
    )[0]
    earlier, later = successive_reports(redis_client, key)
    gained = (
        100 * (later["cpu_seconds"] - earlier["cpu_seconds"]) / (later["updated_at"] - earlier["updated_at"])
    )
    assert later["cpu_percent"] == pytest.approx(gained, rel=0.05, abs=1), (earlier, later)
