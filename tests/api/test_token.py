"""The bearer token (API_TOKEN): required when the API is published beyond loopback, optional on it.

Real API processes (uvicorn) on the session's redis-server, each on a database of its own and with no
worker, so that what a refused request would have enqueued stays visible: job records and queue entries.
"""

import secrets
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import redis

from services.tools import api_auth, preflight
from services.tools.local_stack import api as api_process
from services.tools.local_stack import env
from tests.helpers import free_port, records_and_queue

pytestmark = pytest.mark.integration

TOKEN_QUEUE = "token"
JOB = {"kernel": "primes", "params": {"start": 0, "stop": 1000}}
BATCH = {"jobs": [JOB, JOB]}


def _api(redis_url: str, db_number: int, **settings: str) -> Iterator[tuple[httpx.Client, redis.Redis]]:
    url = redis_url.rsplit("/", 1)[0] + f"/{db_number}"
    db = redis.Redis.from_url(url)
    db.flushdb()
    try:
        with api_process(url, TOKEN_QUEUE, **settings) as base, httpx.Client(base_url=base, timeout=10) as c:
            yield c, db
    finally:
        db.flushdb()
        db.close()


@pytest.fixture(scope="module")
def token() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def exposed(redis_url: str, token: str) -> Iterator[tuple[httpx.Client, redis.Redis]]:
    """Published beyond loopback (API_BIND=0.0.0.0; it listens on 127.0.0.1 all the same)."""
    yield from _api(redis_url, 10, API_BIND="0.0.0.0", API_TOKEN=token)


@pytest.fixture(scope="module")
def loopback(redis_url: str, token: str) -> Iterator[tuple[httpx.Client, redis.Redis]]:
    """On loopback, the default, with a token set (as after `make env`)."""
    yield from _api(redis_url, 11, API_TOKEN=token)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


REFUSALS = [
    pytest.param({}, "this API wants `Authorization: Bearer <API_TOKEN>`", id="no-token"),
    pytest.param(_bearer("wrong"), "wrong bearer token", id="wrong-token"),
    pytest.param({"Authorization": "Basic dXNlcjpwdw=="}, "this API wants", id="not-bearer"),
]


@pytest.mark.parametrize(("headers", "detail"), REFUSALS)
def test_exposed_without_the_token_is_401_and_enqueues_nothing(
    exposed: tuple[httpx.Client, redis.Redis], token: str, headers: dict[str, str], detail: str
) -> None:
    client, db = exposed
    known = client.post("/jobs", json=JOB, headers=_bearer(token)).json()["id"]
    before = records_and_queue(db, TOKEN_QUEUE)
    for method, path, body in [
        ("POST", "/jobs", JOB),
        ("POST", "/jobs/batch", BATCH),
        ("GET", f"/jobs/{known}", None),
        ("POST", f"/jobs/{known}/cancel", None),
        ("GET", "/workers", None),
        ("GET", "/workers/series", None),
        ("GET", "/dashboard", None),
    ]:
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        assert detail in response.json()["detail"], response.text
        assert response.headers["www-authenticate"] == "Bearer"
    assert records_and_queue(db, TOKEN_QUEUE) == before
    # The job the refused cancel named is still queued, untouched.
    assert client.get(f"/jobs/{known}", headers=_bearer(token)).json()["status"] == "queued"


def test_exposed_with_the_token_accepts_and_health_stays_open(
    exposed: tuple[httpx.Client, redis.Redis], token: str
) -> None:
    client, db = exposed
    before = records_and_queue(db, TOKEN_QUEUE)
    response = client.post("/jobs", json=JOB, headers=_bearer(token))
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    response = client.post("/jobs/batch", json=BATCH, headers=_bearer(token))
    assert (response.status_code, len(response.json()["ids"])) == (202, 2), response.text
    assert records_and_queue(db, TOKEN_QUEUE) == (before[0] + 3, before[1] + 3)
    view = client.get(f"/jobs/{job_id}", headers=_bearer(token))
    assert (view.status_code, view.json()["status"]) == (200, "queued")
    # The container's healthcheck calls /health without a token; the dashboard's page and docs are open.
    assert client.get("/health").status_code == 200
    assert client.get("/").status_code == 200
    spec = client.get("/openapi.json").json()
    # The document says the token is required here, and that 401 is what a request without it gets.
    assert spec["paths"]["/jobs"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "401" in spec["paths"]["/jobs"]["post"]["responses"]
    assert "security" not in spec["paths"]["/health"]["get"]


def test_on_loopback_the_token_is_optional_but_a_wrong_one_is_refused(
    loopback: tuple[httpx.Client, redis.Redis], token: str
) -> None:
    client, db = loopback
    before = records_and_queue(db, TOKEN_QUEUE)
    assert client.post("/jobs", json=JOB).status_code == 202
    assert client.post("/jobs", json=JOB, headers=_bearer(token)).status_code == 202
    response = client.post("/jobs", json=JOB, headers=_bearer("wrong"))
    assert (response.status_code, response.json()) == (401, {"detail": "wrong bearer token"})
    assert records_and_queue(db, TOKEN_QUEUE) == (before[0] + 2, before[1] + 2)
    # The document says so: no credentials ({}) or the bearer token.
    spec = client.get("/openapi.json").json()
    assert spec["paths"]["/jobs"]["post"]["security"] == [{}, {"HTTPBearer": []}]


def test_exposed_without_a_token_to_check_the_api_refuses_to_start(redis_url: str) -> None:
    port = free_port()
    proc = subprocess.run(
        [sys.executable, "-m", "services.api", "--host", "127.0.0.1", "--port", str(port)],
        env={**env(redis_url, TOKEN_QUEUE), "API_BIND": "0.0.0.0", "API_TOKEN": ""},
        capture_output=True,
        text=True,
        timeout=120,  # a guard against a hang, not a measure: it exits at start-up
    )
    assert proc.returncode != 0
    assert "API_BIND=0.0.0.0 publishes the API beyond loopback" in proc.stderr, proc.stderr
    assert "set API_TOKEN (`make env` writes a random one into .env)" in proc.stderr


def test_the_host_tools_send_the_token_when_it_is_set(
    exposed: tuple[httpx.Client, redis.Redis], token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = exposed
    url = str(client.base_url).rstrip("/")
    monkeypatch.delenv("API_TOKEN", raising=False)
    assert api_auth.headers() == {}
    with pytest.raises(preflight.NotReady, match="wants its bearer token"):
        preflight.ready_workers(url)
    monkeypatch.setenv("API_TOKEN", token)
    assert api_auth.headers() == _bearer(token)
    assert preflight.ready_workers(url) == 0  # no worker here: the point is the 200
