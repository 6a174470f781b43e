"""GET /metrics: Prometheus's text format (parsed with prometheus_client's own parser), read from Redis.

Real redis-server, real RQ workers and the API on loopback (tests/conftest.py).
"""

import json
import random
import time
from collections.abc import Iterator

import httpx
import pytest
import redis
from prometheus_client import generate_latest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from rq import Queue

from services.api.metrics import registry
from shared.kernels.dataset import BLOCK
from shared.worker_reports import report_key
from tests.helpers import client_address, monitored, submit, wait_for, wait_for_job

pytestmark = pytest.mark.integration

REPORTS_DB = 9  # a database of the session's redis-server that nothing else uses


def scrape(api: httpx.Client, **headers: str) -> dict[tuple[str, tuple], float]:
    """GET /metrics, parsed: {(sample name, sorted labels): value}."""
    response = api.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found: dict[tuple[str, tuple], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[_key(sample)] = sample.value
    return found


def _key(sample: Sample) -> tuple[str, tuple]:
    return sample.name, tuple(sorted(sample.labels.items()))


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_jobs_are_counted_by_mode_kernel_and_status(api: httpx.Client) -> None:
    before = scrape(api)
    bodies = [
        ("local", {"kernel": "primes", "params": {"start": 0, "stop": 200_000}}),
        ("local", {"kernel": "primes", "params": {"start": 0, "stop": 100_000}}),
        ("distributed", {"kernel": "pi", "params": {"samples": 100_000, "seed": 3}, "mode": "distributed"}),
    ]
    views = [wait_for_job(api, submit(api, body)) for _, body in bodies]
    assert [v["status"] for v in views] == ["finished"] * 3
    canceled = submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 10_000_000}})
    assert api.post(f"/jobs/{canceled}/cancel").status_code == 200
    after = scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("cpu_contrast_jobs_accepted_total", mode="local", kernel="primes") == 3
    assert delta("cpu_contrast_jobs_accepted_total", mode="distributed", kernel="pi") == 1
    assert delta("cpu_contrast_jobs_ended_total", mode="local", kernel="primes", status="finished") == 2
    assert delta("cpu_contrast_jobs_ended_total", mode="local", kernel="primes", status="canceled") == 1
    assert delta("cpu_contrast_jobs_ended_total", mode="distributed", kernel="pi", status="finished") == 1
    # One latency per finished job; its sum is what the job records say (acceptance to end).
    assert delta("cpu_contrast_job_latency_seconds_count", mode="local", kernel="primes") == 2
    waited = sum(v["ended_at"] - v["created_at"] for v in views[:2])
    assert delta("cpu_contrast_job_latency_seconds_sum", mode="local", kernel="primes") == pytest.approx(
        waited
    )
    assert delta("cpu_contrast_job_run_seconds_count", mode="distributed", kernel="pi") == 1


def test_each_worker_container_as_get_workers_shows_it(api: httpx.Client) -> None:
    wait_for_job(api, submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 100_000}}))
    # The counts settle once a heartbeat has reported the job; then both views must agree exactly.
    settled = wait_for(lambda: _settled(api), 30, "a worker report with the job done")
    workers_before, found, workers_after = settled
    assert workers_before, "no worker reported"
    for before, after in zip(workers_before, workers_after, strict=True):
        labels = {"container": before["host"], "service": "worker"}
        for field in ("jobs_done", "chunks_done", "pool_processes", "consumers"):
            assert (
                value(found, f"cpu_contrast_worker_{field}" + ("_total" if "done" in field else ""), **labels)
                == (before[field])
            ), field
        cpu = value(found, "cpu_contrast_worker_cpu_seconds_total", **labels)
        assert before["cpu_seconds"] <= cpu <= after["cpu_seconds"]
        # The container's network counters (its namespace's net/dev), as cumulative as its CPU seconds.
        for field, name in (("net_rx_bytes", "receive"), ("net_tx_bytes", "transmit")):
            sent = value(found, f"cpu_contrast_worker_network_{name}_bytes_total", **labels)
            assert before[field] is not None and before[field] <= sent <= after[field], field
        assert value(found, "cpu_contrast_worker_ready", **labels) == float(before["ready"])


def test_bytes_jobs_moved_and_redis_network_bytes(api: httpx.Client, workers: list) -> None:
    """A dataset's jobs: the bytes read and pickled are each job record's, summed; Redis sent at least
    every byte the workers read (and received at least the upload)."""
    before = scrape(api)
    data = random.Random(7).randbytes(64 * BLOCK + 99)
    response = api.post("/datasets", content=data, headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 201, response.text
    views = []
    for mode in ("local", "distributed"):
        body = {"kernel": "bytes", "params": {"dataset": response.json()["id"], "work": 0}, "mode": mode}
        views.append(wait_for_job(api, submit(api, body)))
    assert [v["status"] for v in views] == ["finished"] * 2
    after = scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("cpu_contrast_job_bytes_read_total") == 2 * len(data)
    assert delta("cpu_contrast_job_bytes_pickled_total") == sum(v["bytes_pickled"] for v in views)
    assert delta("cpu_contrast_redis_network_bytes_total", direction="in") >= len(data)
    assert delta("cpu_contrast_redis_network_bytes_total", direction="out") >= 2 * len(data)


def _settled(api: httpx.Client) -> tuple[list, dict, list] | None:
    """GET /workers, GET /metrics, GET /workers, when the counts did not move in between."""
    before = api.get("/workers").json()
    found = scrape(api)
    after = api.get("/workers").json()
    same = [(w["host"], w["jobs_done"], w["chunks_done"]) for w in before] == [
        (w["host"], w["jobs_done"], w["chunks_done"]) for w in after
    ]
    return (before, found, after) if same and before and sum(w["jobs_done"] for w in before) else None


def test_openmetrics_when_the_scraper_asks(api: httpx.Client) -> None:
    wait_for_job(api, submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 1000}}))
    response = api.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    # The same job counts as in Prometheus's text format, read by OpenMetrics' own parser.
    openmetrics = {
        _key(sample): sample.value
        for family in openmetrics_families(response.text)
        for sample in family.samples
        if sample.name.startswith("cpu_contrast_jobs_")
    }
    text = {key: count for key, count in scrape(api).items() if key[0].startswith("cpu_contrast_jobs_")}
    assert (
        openmetrics == text
        and value(text, "cpu_contrast_jobs_accepted_total", mode="local", kernel="primes") > 0
    )


@pytest.fixture
def reports_db(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + f"/{REPORTS_DB}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_throttling_and_per_container_series_from_the_self_reports(reports_db: redis.Redis) -> None:
    """Two containers, one reporting CFS throttling: each gets its series; the other has none."""
    now = time.time()
    base = {"worker_class": "worker.queue.lean.LeanWorker", "cpu_quota": 1.0, "cpu_percent": 99.0}
    reports = {
        "a1b2c3.7.x": {
            **base,
            "host": "a1b2c3",
            "pool_processes": 1,
            "cpu_seconds": 12.5,
            "jobs_done": 3,
            "chunks_done": 12,
            "updated_at": now,
            "ready": True,
            "cpu_periods": 400,
            "cpu_throttled_periods": 150,
            "cpu_throttled_seconds": 7.25,
            "net_rx_bytes": 123456789,
            "net_tx_bytes": 4321,
        },
        "d4e5f6.9.y": {
            **base,
            "host": "d4e5f6",
            "pool_processes": 2,
            "cpu_seconds": 3.0,
            "jobs_done": 0,
            "chunks_done": 5,
            "updated_at": now,
            "ready": False,
        },
    }
    for name, report in reports.items():
        reports_db.set(report_key(name), json.dumps(report), ex=60)
    found = samples(generate_latest(registry(reports_db)).decode())
    a = {"container": "a1b2c3", "service": "worker"}
    d = {"container": "d4e5f6", "service": "worker"}
    assert value(found, "cpu_contrast_worker_cpu_throttled_periods_total", **a) == 150
    assert value(found, "cpu_contrast_worker_cpu_throttled_seconds_total", **a) == 7.25
    assert value(found, "cpu_contrast_worker_cpu_periods_total", **a) == 400
    assert ("cpu_contrast_worker_cpu_throttled_periods_total", tuple(sorted(d.items()))) not in found
    assert value(found, "cpu_contrast_worker_network_receive_bytes_total", **a) == 123456789
    assert value(found, "cpu_contrast_worker_network_transmit_bytes_total", **a) == 4321
    assert ("cpu_contrast_worker_network_receive_bytes_total", tuple(sorted(d.items()))) not in found
    assert value(found, "cpu_contrast_worker_cpu_seconds_total", **d) == 3.0
    assert value(found, "cpu_contrast_worker_chunks_done_total", **d) == 5
    assert value(found, "cpu_contrast_worker_pool_processes", **d) == 2
    assert value(found, "cpu_contrast_worker_cpu_quota_cpus", **d) == 1.0
    assert value(found, "cpu_contrast_worker_ready", **d) == 0.0
    # Nothing was counted in this empty database: the job families are there, with no series.
    assert not [k for k in found if k[0].startswith("cpu_contrast_jobs_")]


def test_queue_entries_by_state(reports_db: redis.Redis) -> None:
    """Each queue's depth and its started and failed registries, counted as they are in Redis."""
    for name, (queued, started, failed) in {"jobs": (3, 2, 1), "other": (0, 0, 4)}.items():
        queue = Queue(name, connection=reports_db)
        reports_db.sadd(Queue.redis_queues_keys, queue.key)
        if queued:
            reports_db.rpush(queue.key, *[f"{name}-q{i}" for i in range(queued)])
        for entries, count in ((queue.started_job_registry, started), (queue.failed_job_registry, failed)):
            if count:
                reports_db.zadd(entries.key, {f"{name}-{i}": time.time() + 600 for i in range(count)})
    found = samples(generate_latest(registry(reports_db)).decode())
    by_queue_and_state = {
        (dict(labels)["queue"], dict(labels)["state"]): count
        for (name, labels), count in found.items()
        if name == "cpu_contrast_queue_jobs"
    }
    assert by_queue_and_state == {
        ("jobs", "queued"): 3,
        ("jobs", "started"): 2,
        ("jobs", "failed"): 1,
        ("other", "queued"): 0,
        ("other", "started"): 0,
        ("other", "failed"): 4,
    }


def test_a_scrape_is_a_few_reads_and_no_write(redis_url: str, reports_db: redis.Redis) -> None:
    """What one scrape asks of Redis, from MONITOR: a fixed handful of reads, however many jobs ran."""
    reports_db.set(
        report_key("a1b2c3.7.x"),
        json.dumps(
            {
                "host": "a1b2c3",
                "pool_processes": 1,
                "cpu_seconds": 1.0,
                "jobs_done": 0,
                "chunks_done": 0,
                "updated_at": time.time(),
            }
        ),
        ex=60,
    )
    reports_db.sadd("rq:queues", "rq:queue:jobs")
    reports_db.rpush("rq:queue:jobs", "entry")
    reports_db.hincrby("cpuc:metrics:jobs", "accepted|local|primes", 1000)
    scraped = registry(reports_db)
    ours = client_address(reports_db)
    with monitored(redis_url) as seen:
        generate_latest(scraped)
    commands = [
        c["command"].split()[0].upper() for c in seen if (c["client_address"], c["client_port"]) == ours
    ]
    # Job counters; the queues, then per queue its depth and two registries' sizes; the workers' reports;
    # the bytes jobs moved and Redis's network counters.
    expected = ["HGETALL", "SMEMBERS", "LLEN", "ZCARD", "ZCARD", "SCAN", "MGET", "HMGET", "INFO"]
    assert sorted(commands) == sorted(expected)
