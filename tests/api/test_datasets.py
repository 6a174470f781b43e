"""Datasets through the API (POST, GET, DELETE /datasets) on a real API and redis-server: stored whole
and exact, refused with nothing stored, streamed without the API holding the body."""

import hashlib
import random
import threading
from collections.abc import Iterator

import httpx
import psutil
import pytest
import redis

from services.tools.local_stack import api as api_process
from shared.datasets import DatasetKeys
from shared.job_store import JobKeys
from shared.kernels.dataset import BLOCK, tally
from shared.settings import Settings
from tests.conftest import QUEUE
from tests.helpers import records_and_queue, submit, wait_for_job

pytestmark = pytest.mark.integration

MiB = 1 << 20
LIMITED_QUEUE = "datasets-limit"
OCTETS = {"Content-Type": "application/octet-stream"}


def dataset_keys(db: redis.Redis) -> set[bytes]:
    return set(db.scan_iter("cpuc:dataset:*", count=1000))


def upload(client: httpx.Client, data: bytes | Iterator[bytes]) -> dict:
    response = client.post("/datasets", content=data, headers=OCTETS)
    assert response.status_code == 201, response.text
    view = response.json()
    assert response.headers["Location"] == f"/datasets/{view['id']}"
    return view


def test_an_upload_is_stored_whole_read_back_and_deleted(
    api: httpx.Client, redis_client: redis.Redis
) -> None:
    # Over three upload blocks and not a multiple of one: the last append is partial.
    data = random.Random(1).randbytes(3 * MiB + 12345)
    view = upload(api, data)
    assert view["bytes"] == len(data)
    assert view["sha256"] == hashlib.sha256(data).hexdigest()
    keys = DatasetKeys.of(view["id"])
    assert redis_client.get(keys.data) == data
    assert not redis_client.exists(keys.upload)
    assert 0 < redis_client.ttl(keys.data) <= view["expires_in"] + 1

    got = api.get(f"/datasets/{view['id']}")
    assert got.status_code == 200 and got.json() == {**view, "expires_in": got.json()["expires_in"]}

    assert api.delete(f"/datasets/{view['id']}").status_code == 204
    assert not redis_client.exists(keys.data, keys.meta)
    assert api.get(f"/datasets/{view['id']}").status_code == 404
    assert api.delete(f"/datasets/{view['id']}").status_code == 404


def test_a_body_sent_in_pieces_is_stored_as_sent(api: httpx.Client, redis_client: redis.Redis) -> None:
    """Chunked transfer (no Content-Length), pieces of odd sizes: the bytes land in order."""
    pieces = [bytes([i]) * (1000 * i + 7) for i in range(1, 40)]
    response = api.post("/datasets", content=iter(pieces), headers=OCTETS)
    assert response.status_code == 201, response.text
    assert redis_client.get(DatasetKeys.of(response.json()["id"]).data) == b"".join(pieces)


@pytest.mark.parametrize(
    ("headers", "body", "status", "kind"),
    [
        ({"Content-Type": "application/json"}, b'{"a": 1}', 415, None),
        ({}, b"raw bytes, no content type", 415, None),
        (OCTETS, b"", 422, "dataset_empty"),
    ],
)
def test_bad_uploads_are_refused_and_store_nothing(
    api: httpx.Client, redis_client: redis.Redis, headers: dict, body: bytes, status: int, kind: str | None
) -> None:
    before = dataset_keys(redis_client)
    response = api.post("/datasets", content=body, headers=headers)
    assert response.status_code == status, response.text
    if kind:
        assert [e["type"] for e in response.json()["detail"]] == [kind]
    assert dataset_keys(redis_client) == before


@pytest.fixture(scope="module")
def small_limit_api(redis_url: str) -> Iterator[httpx.Client]:
    """An API whose datasets may hold at most 2.5 MiB (over two upload blocks) and are kept 100 s, and
    whose jobs at most 16 chunks; no worker takes its queue."""
    with (
        api_process(
            redis_url, LIMITED_QUEUE, MAX_DATASET_BYTES=str(5 * MiB // 2), DATASET_TTL="100", MAX_CHUNKS="16"
        ) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield client


def test_a_dataset_over_the_limit_is_refused_and_stores_nothing(
    small_limit_api: httpx.Client, redis_client: redis.Redis
) -> None:
    before = dataset_keys(redis_client)
    data = bytes(5 * MiB // 2 + 1)
    # Declared too large: refused before a byte is read.
    declared = small_limit_api.post("/datasets", content=data, headers=OCTETS)
    assert declared.status_code == 413, declared.text
    # Undeclared (chunked): refused once the bytes read pass the limit, what was appended removed.
    streamed = small_limit_api.post(
        "/datasets", content=iter([data[:MiB], data[MiB : 2 * MiB], data[2 * MiB :]]), headers=OCTETS
    )
    assert streamed.status_code == 413, streamed.text
    assert dataset_keys(redis_client) == before
    # At the limit exactly it is taken.
    assert upload(small_limit_api, data[:-1])["bytes"] == 5 * MiB // 2


def test_an_upload_past_redis_memory_bound_is_refused_with_429(
    api: httpx.Client, redis_client: redis.Redis
) -> None:
    """Counted against admission control's memory bound: refused (429) once Redis would pass
    MAX_REDIS_MEMORY_SHARE of its maxmemory, and what was appended before is removed."""
    before = dataset_keys(redis_client)
    used = int(redis_client.info("memory")["used_memory"])
    # Room for about 2 MiB of the 8 under the bound (0.9 of maxmemory): refused mid-upload.
    redis_client.config_set("maxmemory", str(int((used + 2 * MiB) / 0.9)))
    try:
        response = api.post("/datasets", content=bytes(8 * MiB), headers=OCTETS)
    finally:
        redis_client.config_set("maxmemory", "0")
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"]
    assert dataset_keys(redis_client) == before


def test_uploading_64_mib_raises_the_apis_resident_memory_by_16_mib_at_most(redis_url: str) -> None:
    """The upload is streamed: the API process's RSS (psutil), sampled throughout, grows by <= 16 MiB."""
    started: list = []
    size = 64 * MiB
    with (
        api_process(redis_url, "datasets-rss", started=started) as base,
        httpx.Client(base_url=base, timeout=120) as client,
    ):
        process = psutil.Process(started[0].pid)
        # One small upload first, so that the route's first-call costs (imports, the script) are paid.
        upload(client, b"warm-up")
        baseline = process.memory_info().rss
        peak = [baseline]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.01):
                peak[0] = max(peak[0], process.memory_info().rss)

        sampler = threading.Thread(target=sample)
        sampler.start()
        piece = random.Random(2).randbytes(MiB)
        try:
            view = upload(client, (piece for _ in range(64)))
        finally:
            done.set()
            sampler.join()
        peak[0] = max(peak[0], process.memory_info().rss)
    assert view["bytes"] == size
    assert view["sha256"] == hashlib.sha256(piece * 64).hexdigest()
    grown = peak[0] - baseline
    print(f"\nAPI RSS {baseline / MiB:.1f} MiB before, peak {peak[0] / MiB:.1f} MiB: +{grown / MiB:.1f} MiB")
    assert grown <= 16 * MiB, f"the API's RSS grew by {grown / MiB:.1f} MiB uploading 64 MiB"


def test_a_job_on_a_dataset_that_does_not_exist_is_refused_and_enqueues_nothing(
    api: httpx.Client, redis_client: redis.Redis
) -> None:
    before = records_and_queue(redis_client, QUEUE)
    for dataset in ("0" * 32, deleted_dataset(api)):
        response = api.post("/jobs", json={"kernel": "bytes", "params": {"dataset": dataset}})
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert (error["type"], error["loc"]) == ("dataset_not_found", ["body", "params", "dataset"])
    assert records_and_queue(redis_client, QUEUE) == before


def deleted_dataset(client: httpx.Client) -> str:
    dataset = upload(client, b"gone soon")["id"]
    assert client.delete(f"/datasets/{dataset}").status_code == 204
    return dataset


def test_a_chunk_size_that_cuts_the_dataset_too_fine_is_refused(
    small_limit_api: httpx.Client, redis_client: redis.Redis
) -> None:
    """Known only once the dataset is found: 17 blocks in chunks of 1 is over MAX_CHUNKS (16 here)."""
    dataset = upload(small_limit_api, bytes(17 * BLOCK))["id"]
    before = records_and_queue(redis_client, LIMITED_QUEUE)
    body = {"kernel": "bytes", "params": {"dataset": dataset}, "mode": "distributed", "chunk_size": 1}
    response = small_limit_api.post("/jobs", json=body)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert (error["type"], error["loc"]) == ("chunk_size_too_small", ["body", "chunk_size"])
    assert records_and_queue(redis_client, LIMITED_QUEUE) == before


def test_a_job_keeps_its_dataset_as_long_as_its_record(
    small_limit_api: httpx.Client, redis_client: redis.Redis
) -> None:
    """Uploaded with DATASET_TTL 100 s; a job accepted on it extends it to RESULT_TTL from then (the
    record itself has no expiry until the job ends: work not ended is never evicted)."""
    dataset = upload(small_limit_api, b"some bytes")["id"]
    keys = DatasetKeys.of(dataset)
    assert 0 < redis_client.ttl(keys.data) <= 100
    job = submit(small_limit_api, {"kernel": "bytes", "params": {"dataset": dataset}})
    assert redis_client.ttl(JobKeys.of(job).record) == -1
    result_ttl = Settings().result_ttl
    assert result_ttl > 100
    for key in (keys.data, keys.meta):
        assert result_ttl - 5 <= redis_client.ttl(key) <= result_ttl
    # Nothing takes that queue: cancel it, which gives back its share of the admission bound.
    assert small_limit_api.post(f"/jobs/{job}/cancel").json()["status"] == "canceled"


def test_other_methods_are_405_naming_every_method_the_path_serves(api: httpx.Client) -> None:
    """GET and DELETE /datasets/{id} are two routes on one path: `Allow` names both."""
    for method, path, allowed in [
        ("POST", f"/datasets/{'a' * 32}", "GET, DELETE"),
        ("PUT", f"/datasets/{'a' * 32}", "GET, DELETE"),
        ("GET", "/datasets", "POST"),
    ]:
        response = api.request(method, path)
        assert (response.status_code, response.headers.get("allow")) == (405, allowed), (method, path)


def test_every_mode_gives_the_same_exact_answer_moving_the_data_its_way(
    api: httpx.Client, workers: list
) -> None:
    """local reads the dataset once and pickles no data to its pool; distributed reads each byte once,
    in its chunks' slices, and pickles nothing; hybrid reads each byte once, a slice per chunk."""
    data = random.Random(4).randbytes(300 * BLOCK + 1234)
    dataset = upload(api, data)["id"]
    expected = tally(data, 1)
    views = {}
    for mode in ("local", "distributed", "hybrid"):
        job = submit(api, {"kernel": "bytes", "params": {"dataset": dataset, "work": 1}, "mode": mode})
        views[mode] = view = wait_for_job(api, job)
        assert view["status"] == "finished", view
        assert view["result"] == {"count": len(data), "histogram": expected.histogram}, mode
        assert view["bytes_read"] == len(data), mode
    assert views["distributed"]["bytes_pickled"] == 0
    assert views["distributed"]["progress"]["chunks_total"] > 1
    # The pool's tasks name a segment, never carry the data: ~150 bytes a task (8 tasks for local
    # here, 3.5 KB for hybrid's), under 1 % of the data.
    assert 0 < views["local"]["bytes_pickled"] < 200 * views["local"]["progress"]["chunks_total"]
    for mode in ("local", "hybrid"):
        assert 0 < views[mode]["bytes_pickled"] < len(data) / 100, views[mode]


def test_a_dataset_deleted_while_its_job_runs_fails_that_job_alone(api: httpx.Client, workers: list) -> None:
    """Its chunks not yet started fail the job, saying why; a job on another dataset is not touched."""
    doomed = upload(api, random.Random(6).randbytes(32 * BLOCK))["id"]
    kept_data = random.Random(7).randbytes(8 * BLOCK)
    kept = upload(api, kept_data)["id"]
    # ~0.4 s of hashing by the cost model: chunks of ~30 ms, far more than the two workers start at once.
    job = submit(api, {"kernel": "bytes", "params": {"dataset": doomed, "work": 64}, "mode": "distributed"})
    other = submit(api, {"kernel": "bytes", "params": {"dataset": kept, "work": 2}, "mode": "distributed"})
    assert api.delete(f"/datasets/{doomed}").status_code == 204
    failed = wait_for_job(api, job)
    assert failed["status"] == "failed", failed
    assert (
        failed["error"]
        == f"DatasetGone: dataset {doomed} is gone (deleted or expired) before this job read it"
    )
    finished = wait_for_job(api, other)
    assert finished["status"] == "finished", finished
    assert finished["result"]["histogram"] == tally(kept_data, 2).histogram
