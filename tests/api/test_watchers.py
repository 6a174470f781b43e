"""A thousand watchers (GET /jobs/{id}?wait=) on one API process hold nothing, and all answer at the end.

A real API process on a redis-server of its own and a queue no worker takes from: the test starts the
job and ends it itself, through the job store's own end-of-job step, so MONITOR sees nothing but the API.
"""

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis

from services.api.watch import WAIT_MAX_SECONDS
from services.tools.local_stack import api as api_process
from services.tools.local_stack import redis_server
from shared.job_store import ENDED_CHANNEL, JobStore
from shared.tally import Tally
from tests.helpers import command_calls, monitored, submit, wait_for

pytestmark = pytest.mark.integration

WATCHERS = 1000
BODY = {"kernel": "primes", "params": {"start": 0, "stop": 1000}}
# Seconds MONITOR watches the held watchers: any polling would show many commands in it.
QUIET_WINDOW = 2.0
# A woken watcher answers at once; one that was not woken would answer after WAIT_MAX_SECONDS. The
# client gives up halfway, so the two cannot be mistaken (as in test_long_poll.py).
GUARD = WAIT_MAX_SECONDS / 2
ANSWER = Tally(168, [0, 40, 1, 46, 0, 1, 0, 40, 0, 40])


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[str, str]]:
    with redis_server() as url, api_process(url, "watchers-no-workers") as base:
        yield url, base


async def _hold_and_end(base: str, url: str, job_id: str) -> tuple[list[httpx.Response], dict]:
    control = redis.Redis.from_url(url)
    store = JobStore(control, 600)
    seen: dict = {}
    limits = httpx.Limits(max_connections=WATCHERS + 10, max_keepalive_connections=WATCHERS + 10)
    async with httpx.AsyncClient(base_url=base, timeout=GUARD, limits=limits) as client:
        before = command_calls(control, "hvals")
        watchers = [
            asyncio.create_task(client.get(f"/jobs/{job_id}", params={"wait": WAIT_MAX_SECONDS}))
            for _ in range(WATCHERS)
        ]
        # Every watcher has read the job once (one HVALS each) and waits; within the clients' own limit.
        async with asyncio.timeout(GUARD):
            while command_calls(control, "hvals") < before + WATCHERS:
                await asyncio.sleep(0.05)
        seen["held"] = sum(not w.done() for w in watchers)
        with monitored(url) as commands:
            await asyncio.sleep(QUIET_WINDOW)
        seen["commands while held"] = list(commands)
        # Other routes answer meanwhile: neither watchers nor their connections starve them.
        health = await client.get("/health")
        seen["health"] = (health.status_code, health.json())
        accepted = await client.post("/jobs", json=BODY)
        seen["post"] = accepted.status_code
        seen["still held"] = sum(not w.done() for w in watchers)
        assert store.finish_local(job_id, ANSWER, 0.5, "test-host", 4)
        responses = await asyncio.gather(*watchers)
    control.close()
    return responses, seen


def test_a_thousand_watchers_hold_nothing_and_all_answer_when_the_job_ends(stack: tuple[str, str]) -> None:
    url, base = stack
    with httpx.Client(base_url=base, timeout=10) as client:
        job_id = submit(client, BODY)
    control = redis.Redis.from_url(url)
    JobStore(control, 600).begin(job_id, "test-host", 1)  # running, as a worker would have it
    responses, seen = asyncio.run(_hold_and_end(base, url, job_id))
    assert seen["held"] == WATCHERS
    # No command at all reached Redis while the watchers waited: no polling, no blocking read each.
    assert seen["commands while held"] == []
    # (Degraded: the job is accepted and no worker is ready; the API itself answers.)
    assert seen["health"] == (200, {"status": "degraded", "redis": "ok", "workers": 0, "workers_ready": 0})
    assert seen["post"] == 202
    assert seen["still held"] == WATCHERS
    assert [r.status_code for r in responses] == [200] * WATCHERS
    views = [r.json() for r in responses]
    assert {v["status"] for v in views} == {"finished"}
    assert all(v["result"] == {"count": 168, "histogram": ANSWER.histogram} for v in views)
    # The API holds one connection per process for the subscription and a few for reads, not one each.
    clients = control.client_list()
    assert len(clients) < 40, len(clients)
    control.close()


def test_an_end_published_while_the_subscription_is_down_still_wakes_every_watcher(
    stack: tuple[str, str],
) -> None:
    url, base = stack
    control = redis.Redis.from_url(url)
    store = JobStore(control, 600)
    with httpx.Client(base_url=base, timeout=GUARD) as client, ThreadPoolExecutor(5) as pool:
        job_id = submit(client, BODY)
        before = command_calls(control, "hvals")
        polls = [
            pool.submit(client.get, f"/jobs/{job_id}", params={"wait": WAIT_MAX_SECONDS}) for _ in range(5)
        ]
        wait_for(lambda: command_calls(control, "hvals") == before + 5 or None, 30, "5 waiting watchers")
        # Drop the API's subscription, and end the job at once: its message goes to nobody.
        assert control.client_kill_filter(_type="pubsub") == 1
        assert store.cancel(job_id) == "canceled"
        responses = [p.result() for p in polls]
    assert [(r.status_code, r.json()["status"]) for r in responses] == [(200, "canceled")] * 5
    # Subscribed again, and a later end reaches its watchers as before.
    wait_for(lambda: control.pubsub_numsub(ENDED_CHANNEL)[0][1] == 1 or None, 30, "the resubscription")
    control.close()
