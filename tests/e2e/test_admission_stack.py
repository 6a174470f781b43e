"""Admission control in the real stack: Redis evicts only keys with an expiry (volatile-lru under its
maxmemory: ended records, never accepted work), and the API image answers 429 with Retry-After past the
bound, enqueueing nothing."""

import pytest

from services.api.admission import ADMITTED_ENTRIES
from shared.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.test_security import redis_cli

pytestmark = pytest.mark.e2e

BODY = {"kernel": "primes", "params": {"start": 0, "stop": 1000}}


def _cli(stack: Stack, *args: str) -> list[str]:
    code, output = redis_cli(stack, *args)
    assert code == 0, output
    return output.split()


def test_redis_runs_under_a_maxmemory_that_evicts_only_expiring_keys(stack: Stack) -> None:
    assert _cli(stack, "config", "get", "maxmemory-policy") == ["maxmemory-policy", "volatile-lru"]
    # REDIS_MAXMEMORY's default, 768mb, under the container's 1g.
    assert _cli(stack, "config", "get", "maxmemory") == ["maxmemory", str(768 * 1024 * 1024)]


def test_past_the_bound_the_api_answers_429_and_enqueues_nothing(stack: Stack) -> None:
    bound = Settings().max_queued_entries
    depth = stack.api.get("/dashboard").json()["queue"]["depth"]
    # As if the bound's worth of work were waiting: the counter the admission step reads.
    _cli(stack, "incrby", ADMITTED_ENTRIES, str(bound))
    try:
        response = stack.api.post("/jobs", json=BODY)
    finally:
        _cli(stack, "decrby", ADMITTED_ENTRIES, str(bound))
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == str(Settings().queue_full_retry_after)
    assert response.json()["max_queued_entries"] == bound
    assert stack.api.get("/dashboard").json()["queue"]["depth"] == depth
    assert stack.api.post("/jobs", json=BODY).status_code == 202
