"""GET /health says `degraded` while accepted work waits and no worker is ready, `ok` otherwise; the status
and its two values are in the OpenAPI document. Real redis-server, the API and a worker on loopback."""

from collections.abc import Iterator

import httpx
import pytest

from services.api.main import app
from services.tools.local_stack import api as api_process
from services.tools.local_stack import our_workers, redis_server, stop
from tests.helpers import require_tool, submit, wait_for, wait_for_job

pytestmark = pytest.mark.integration

QUEUE = "health"
BODY = {"kernel": "primes", "params": {"start": 0, "stop": 1000}}


@pytest.fixture
def bare() -> Iterator[tuple[str, httpx.Client]]:
    """(Redis URL, API client): the API on a Redis of its own, no worker yet."""
    require_tool("redis-server")
    with (
        redis_server() as url,
        api_process(url, QUEUE) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        yield url, client


def test_degraded_while_accepted_work_waits_with_no_worker_ready(bare: tuple[str, httpx.Client]) -> None:
    url, api = bare
    idle = {"status": "ok", "redis": "ok", "workers": 0, "workers_ready": 0}
    assert api.get("/health").json() == idle  # nothing waits: nothing is degraded
    job_id = submit(api, BODY)
    health = api.get("/health")
    assert health.status_code == 200  # the API itself is healthy
    assert health.json() == {**idle, "status": "degraded"}
    workers = our_workers(url, QUEUE, 1, 1)
    try:
        assert wait_for_job(api, job_id)["status"] == "finished"
        ready = wait_for(lambda: (h := api.get("/health").json())["workers_ready"] and h or None, 30, "ready")
        assert ready == {"status": "ok", "redis": "ok", "workers": 1, "workers_ready": 1}
    finally:
        stop(workers)


def test_the_openapi_document_names_both_statuses() -> None:
    schema = app.openapi()["components"]["schemas"]["HealthView"]["properties"]["status"]
    assert schema["enum"] == ["ok", "degraded"]
    assert "degraded" in schema["description"]
