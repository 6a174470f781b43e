"""Datasets on a real stack: uploaded through the API into the stack's Redis, then one `bytes` job per
mode on 1-CPU worker containers with pools of 2 (so local and hybrid stage their slice in the
container's /dev/shm): the same exact answer each, every byte read once; bad uploads store nothing."""

import os
import random
from collections import Counter
from collections.abc import Iterator

import docker
import pytest

from services.tools.loadtest.traffic import TrafficLedger
from tests.e2e.conftest import Stack, running_stack
from tests.helpers import free_port, submit, wait_for, wait_for_job

pytestmark = pytest.mark.e2e

MiB = 1 << 20
OCTETS = {"Content-Type": "application/octet-stream"}
LIMIT = 4 * MiB


@pytest.fixture(scope="module")
def data_stack(docker_client: docker.DockerClient) -> Iterator[Stack]:
    env = {
        **os.environ,
        "API_PORT": str(free_port()),
        "WORKER_REPLICAS": "2",
        "WORKER_CPUS": "1",
        "POOL_PROCESSES": "2",
        "MAX_DATASET_BYTES": str(LIMIT),
        "REDIS_PASSWORD": "",
    }
    with running_stack(docker_client, f"cpu-contrast-data-{os.getpid()}", env) as started:
        yield started


def datasets_stored(stack: Stack) -> int:
    """Keys of datasets in the stack's Redis (metadata, data, partial uploads), counted inside Redis."""
    [redis] = stack.containers("redis")
    script = "REDISCLI_AUTH=$(</secrets/redis-password) redis-cli --scan --pattern 'cpuc:dataset:*' | wc -l"
    code, output = redis.exec_run(["bash", "-c", script])
    assert code == 0, output
    return int(output.decode().strip())


def test_every_mode_gets_the_same_exact_answer_from_one_upload(data_stack: Stack) -> None:
    api = data_stack.api
    data = random.Random(20).randbytes(3 * MiB + 777)
    upload = api.post("/datasets", content=data, headers=OCTETS, timeout=60)
    assert upload.status_code == 201, upload.text
    dataset = upload.json()["id"]
    # work 0: each byte binned by its value, which the test counts itself.
    values = Counter(b % 10 for b in data)
    expected = {"count": len(data), "histogram": [values[i] for i in range(10)]}
    worker_hosts = {c.attrs["Config"]["Hostname"] for c in data_stack.containers("worker")}
    for mode in ("local", "distributed", "hybrid"):
        body = {"kernel": "bytes", "params": {"dataset": dataset, "work": 0}, "mode": mode}
        view = wait_for_job(api, submit(api, body))
        assert view["status"] == "finished", view
        assert view["result"] == expected, mode
        assert set(view["hosts"]) <= worker_hosts
        # Each byte read out of Redis once: by local's one container, by the chunks' slices otherwise.
        assert view["bytes_read"] == len(data), (mode, view)
        if mode == "distributed":
            assert view["bytes_pickled"] == 0
        else:
            # The pools' tasks carried a segment's name, not the data.
            assert view["pool_processes"] and set(view["pool_processes"].values()) == {2}, view
            assert 0 < view["bytes_pickled"] < len(data) / 100, (mode, view)
    assert api.delete(f"/datasets/{dataset}").status_code == 204


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        (OCTETS, bytes(LIMIT + 1), 413),
        ({"Content-Type": "text/plain"}, b"not octets", 415),
        (OCTETS, b"", 422),
    ],
)
def test_bad_uploads_get_their_status_and_store_nothing(
    data_stack: Stack, headers: dict, body: bytes, status: int
) -> None:
    before = datasets_stored(data_stack)
    response = data_stack.api.post("/datasets", content=body, headers=headers, timeout=60)
    assert response.status_code == status, response.text
    assert datasets_stored(data_stack) == before


def test_a_job_on_a_missing_dataset_is_refused(data_stack: Stack) -> None:
    response = data_stack.api.post("/jobs", json={"kernel": "bytes", "params": {"dataset": "f" * 32}})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "dataset_not_found"


def workers_received(stack: Stack) -> int | None:
    """The worker containers' network bytes in, as their own reports say (GET /workers)."""
    workers = stack.api.get("/workers").json()
    if not workers or any(w["net_rx_bytes"] is None for w in workers):
        return None
    return sum(w["net_rx_bytes"] for w in workers)


def test_bytes_moved_are_counted_not_assumed(data_stack: Stack) -> None:
    """A distributed job moves each byte out of Redis once, and every counter shows it: Redis's own
    (INFO), the worker containers' network counters (read on the host, and self-reported), the job's
    record. local reads it once too and pickles no data to its pool: a segment's name per task."""
    api = data_stack.api
    data = random.Random(21).randbytes(2 * MiB + 333)
    upload = api.post("/datasets", content=data, headers=OCTETS, timeout=60)
    assert upload.status_code == 201, upload.text
    params = {"dataset": upload.json()["id"], "work": 0}
    reported_before = wait_for(lambda: workers_received(data_stack), 30, "workers' network counters")
    ledger = TrafficLedger(data_stack.docker, data_stack.project).open()
    view = wait_for_job(api, submit(api, {"kernel": "bytes", "params": params, "mode": "distributed"}))
    ledger.close()
    assert view["status"] == "finished", view
    moved = ledger.account([view], dataset_bytes=len(data))
    assert moved["unreadable"] == [] and moved["jobs"] == {"bytes_read": len(data), "bytes_pickled": 0}
    assert moved["redis"] is not None and moved["redis"]["out_bytes"] >= len(data), moved
    assert moved["services"]["redis"]["tx_bytes"] >= len(data), moved
    assert moved["services"]["worker"]["rx_bytes"] >= len(data), moved
    assert moved["per_dataset"]["bytes_read"] == 1.0 and moved["per_dataset"]["redis_out"] >= 1.0
    # Each worker's own heartbeat shows the same bytes arriving (a report or two later).
    wait_for(
        lambda: (workers_received(data_stack) or 0) - reported_before >= len(data) or None,
        30,
        "the bytes in the workers' own reports",
    )
    local = wait_for_job(api, submit(api, {"kernel": "bytes", "params": params, "mode": "local"}))
    assert local["status"] == "finished" and local["bytes_read"] == len(data), local
    assert 0 < local["bytes_pickled"] < len(data) / 1000, local
    assert api.delete(f"/datasets/{upload.json()['id']}").status_code == 204
