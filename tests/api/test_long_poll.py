"""GET /jobs/{id}?wait=: the job's end wakes the watcher (the API's one subscription), no polling.

An API process of its own, on a redis-server of its own and a queue no worker takes from: its jobs stay
queued until the test cancels them, and MONITOR sees nothing but this API. A watcher reads the job once
(one pipeline with one HVALS, of its merged hash) before it waits: the HVALS count says how many are
waiting.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis

from services.api.watch import WAIT_MAX_SECONDS
from services.tools.local_stack import api as api_process
from services.tools.local_stack import redis_server
from tests.helpers import BACKSTOP, client_address, command_calls, monitored, submit, wait_for

pytestmark = pytest.mark.integration

BODY = {"kernel": "primes", "params": {"start": 0, "stop": 1000}}
# What redis-py sends to open or keep up a connection (a new one, or one idle 30 s): not the watcher's.
UPKEEP = {"HELLO", "CLIENT", "AUTH", "SELECT", "PING"}
# A woken long poll answers within milliseconds; one that was not woken answers after WAIT_MAX_SECONDS.
GUARD = WAIT_MAX_SECONDS / 2


@pytest.fixture(scope="module")
def quiet() -> Iterator[tuple[httpx.Client, redis.Redis, str]]:
    with (
        redis_server() as url,
        api_process(url, "long-poll-no-workers") as base,
        httpx.Client(base_url=base, timeout=WAIT_MAX_SECONDS + 10) as client,
    ):
        control = redis.Redis.from_url(url)
        yield client, control, url
        control.close()


def test_every_long_poll_is_answered_when_the_job_is_canceled(quiet: tuple) -> None:
    client, control, _ = quiet
    job_id = submit(client, BODY)
    before = command_calls(control, "hvals")
    with ThreadPoolExecutor(4) as pool:
        polls = [
            pool.submit(client.get, f"/jobs/{job_id}", params={"wait": WAIT_MAX_SECONDS}) for _ in range(4)
        ]
        wait_for(
            lambda: command_calls(control, "hvals") == before + 4 or None, BACKSTOP, "4 waiting long polls"
        )
        assert not any(p.done() for p in polls)
        assert client.post(f"/jobs/{job_id}/cancel").json()["status"] == "canceled"
        responses = [p.result(GUARD) for p in polls]
    assert [r.status_code for r in responses] == [200] * 4
    assert [r.json()["status"] for r in responses] == ["canceled"] * 4


def test_a_long_poll_outlasts_the_socket_timeout_and_gives_the_active_view(quiet: tuple) -> None:
    client, _, _ = quiet
    job_id = submit(client, BODY)
    # Longer than redis-py's default socket timeout (5 s): a 503 here would mean the read was cut short.
    response = client.get(f"/jobs/{job_id}", params={"wait": 6})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "queued"


def test_a_long_poll_on_an_ended_job_answers_its_ended_view(quiet: tuple) -> None:
    client, _, _ = quiet
    job_id = submit(client, BODY)
    client.post(f"/jobs/{job_id}/cancel")
    response = client.get(f"/jobs/{job_id}", params={"wait": WAIT_MAX_SECONDS}, timeout=GUARD)
    assert response.json()["status"] == "canceled"


@pytest.mark.parametrize("wait", [-1, WAIT_MAX_SECONDS + 1])
def test_a_wait_outside_the_allowed_range_is_422(quiet: tuple, wait: float) -> None:
    client, _, _ = quiet
    assert client.get(f"/jobs/{submit(client, BODY)}", params={"wait": wait}).status_code == 422


def test_an_unknown_job_is_404_at_once_even_with_a_wait(quiet: tuple) -> None:
    client, _, _ = quiet
    response = client.get("/jobs/no-such-job", params={"wait": WAIT_MAX_SECONDS}, timeout=GUARD)
    assert response.status_code == 404


def _api_commands(quiet: tuple, wait: float) -> list[str]:
    """The commands the API sent Redis while answering one GET ?wait= on a job that stays queued."""
    client, control, url = quiet
    job_id = submit(client, BODY)
    ours = client_address(control)
    with monitored(url) as seen:
        assert client.get(f"/jobs/{job_id}", params={"wait": wait}).json()["status"] == "queued"
    sent = [c for c in seen if c["client_type"] != "lua" and (c["client_address"], c["client_port"]) != ours]
    return [name for c in sent if (name := c["command"].split()[0].upper()) not in UPKEEP]


def test_a_long_poll_costs_the_same_few_commands_however_long(quiet: tuple) -> None:
    short, long = _api_commands(quiet, 0.2), _api_commands(quiet, 3)
    # A poll every 10 ms would send ~20 reads in the short wait and ~300 in the long one.
    assert short == long, (short, long)
    # One read before the wait, one after; nothing in between, not even a blocking read.
    read = short[: len(short) // 2]
    assert short == [*read, *read] and "HVALS" in read, short
    assert not {"XREAD", "BLPOP", "SUBSCRIBE"} & set(short), short
    assert len(read) <= 6, short
