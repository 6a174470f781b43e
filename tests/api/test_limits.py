"""The request body limit (MAX_BODY_BYTES, 64 KiB by default): bigger is 413, and nothing is enqueued."""

import json
from collections.abc import Iterator

import httpx
import pytest
import redis

from shared.settings import Settings

pytestmark = pytest.mark.integration

LIMIT = Settings().max_body_bytes  # the API under test runs with the default
JOB = {"kernel": "pi", "params": {"samples": 1}}


def _padded(size: int) -> bytes:
    """A valid job request of exactly `size` bytes (JSON allows trailing whitespace)."""
    body = json.dumps(JOB).encode()
    return body + b" " * (size - len(body))


def _chunks(body: bytes, size: int = 8192) -> Iterator[bytes]:
    """A generator body: httpx sends it chunked, with no Content-Length."""
    for i in range(0, len(body), size):
        yield body[i : i + size]


def _keys(redis_client: redis.Redis) -> tuple[list[bytes], list[bytes]]:
    """Job records and RQ jobs (not a record's helper keys: workers add those to earlier jobs meanwhile)."""
    records = [key for key in redis_client.scan_iter("cpuc:job:*") if key.count(b":") == 2]
    return sorted(records), sorted(redis_client.scan_iter("rq:job:*"))


def _assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.json() == {"detail": f"request body too large: at most {LIMIT} bytes"}


def test_a_body_at_the_limit_is_accepted(api: httpx.Client) -> None:
    response = api.post("/jobs", content=_padded(LIMIT), headers={"Content-Type": "application/json"})
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("size", [LIMIT + 1, 1024 * 1024], ids=["limit+1", "1MiB"])
def test_a_bigger_body_is_413_and_enqueues_nothing(
    api: httpx.Client, redis_client: redis.Redis, size: int
) -> None:
    before = _keys(redis_client)
    _assert_too_large(api.post("/jobs", content=_padded(size), headers={"Content-Type": "application/json"}))
    assert _keys(redis_client) == before


def test_a_chunked_body_is_counted_as_it_streams(api: httpx.Client, redis_client: redis.Redis) -> None:
    before = _keys(redis_client)
    headers = {"Content-Type": "application/json"}
    _assert_too_large(api.post("/jobs", content=_chunks(_padded(LIMIT + 1)), headers=headers))
    assert _keys(redis_client) == before
    assert api.post("/jobs", content=_chunks(_padded(LIMIT)), headers=headers).status_code == 202


def test_the_api_answers_normally_after_a_413(api: httpx.Client) -> None:
    _assert_too_large(api.post("/jobs", content=_padded(2 * LIMIT)))
    assert api.get("/health").json()["status"] == "ok"
    assert api.post("/jobs", json={"kernel": "nope"}).status_code == 422
