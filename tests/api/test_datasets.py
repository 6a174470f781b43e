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

pytestmark = pytest.mark.integration

MiB = 1 << 20
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
    """An API whose datasets may hold at most 2.5 MiB, over three upload blocks."""
    with (
        api_process(redis_url, "datasets-limit", MAX_DATASET_BYTES=str(5 * MiB // 2)) as base,
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
