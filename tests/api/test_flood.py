"""A flood: 20,000 submissions as fast as the client sends them, against a bound of 200 queue entries.

A real stack on loopback (redis-server, the API under uvicorn, two `python -m worker` processes). The
workers start when the first 429 comes back, so the bound is certainly reached whatever the machine's
speed, and the rest of the flood meets workers ending jobs (and giving their share back) meanwhile.
Every 202 must finish with the exact answer, every refusal must be a 429 with Retry-After, nothing else
may come back (no 5xx), and the admission counters must be back to 0 once the accepted work is done.

Each POST goes on a new connection. With reused keep-alive connections, on a starved machine (load ~17
on 2 cores), a few connections were reset with a request unanswered (the kernel counted them as
TCPAbortOnClose: closed by the server with data unread; most likely uvicorn's 5 s keep-alive timeout
closing a connection just as the next request arrived), while the API process ran on and logged
nothing; a POST cannot be retried blindly. The long polls (GET, safe to repeat) reuse connections and
are repeated after such an error.
"""

import asyncio
import collections
from collections.abc import Iterator
from subprocess import Popen

import httpx
import pytest
import redis
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from services.api.admission import queued
from services.api.watch import WAIT_MAX_SECONDS
from services.tools.local_stack import api as api_process
from services.tools.local_stack import our_workers, redis_server, stop
from shared.job_status import ENDED
from tests.reference import sieve_tally

pytestmark = pytest.mark.integration

QUEUE = "flood"
SUBMISSIONS = 20_000
CONNECTIONS = 64
TRANSPORT_ATTEMPTS = 20  # in a row, for one long poll
BOUND = 200
# Jobs of tens of milliseconds, each with its own exact answer: primes in one of SPANS ranges of SPAN
# numbers, local or split into two queue chunks (merged in Redis). The workers drain fewer than the
# client sends, so the bound holds most of the flood back, and the accepted work stays short to check.
SPAN = 100_000
SPANS = 10


def _body(i: int) -> dict:
    start = (i % SPANS) * SPAN
    body: dict = {"kernel": "primes", "params": {"start": start, "stop": start + SPAN}}
    if i % 2:
        body |= {"mode": "distributed", "chunk_size": SPAN // 2}
    return body


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[str, str]]:
    with redis_server() as url, api_process(url, QUEUE, MAX_QUEUED_ENTRIES=str(BOUND)) as base:
        yield url, base


async def _submit_all(
    client: httpx.AsyncClient, first_refusal: asyncio.Event
) -> tuple[dict[str, int], collections.Counter, list[str]]:
    """POST every body, CONNECTIONS at once: (accepted id -> body index, statuses, faults)."""
    accepted: dict[str, int] = {}
    statuses: collections.Counter = collections.Counter()
    faults: list[str] = []
    next_index = iter(range(SUBMISSIONS))

    async def sender() -> None:
        for i in next_index:
            response = await client.post("/jobs", json=_body(i))
            statuses[response.status_code] += 1
            if response.status_code == 202:
                accepted[response.json()["id"]] = i
            elif response.status_code != 429 or not response.headers.get("Retry-After", "").isdigit():
                faults.append(f"{response.status_code} {dict(response.headers)} {response.text[:200]}")
            elif "the queue is full" not in response.json()["detail"]:
                faults.append(f"429 without the reason: {response.text[:200]}")
            if response.status_code == 429:
                first_refusal.set()

    await asyncio.gather(*(sender() for _ in range(CONNECTIONS)))
    return accepted, statuses, faults


async def _outcomes(client: httpx.AsyncClient, ids: list[str]) -> dict[str, dict]:
    """Each job's view once it has ended (long polls, CONNECTIONS at once)."""
    views: dict[str, dict] = {}
    pending = iter(ids)

    async def watcher() -> None:
        for job_id in pending:
            view: dict = {"status": "queued"}
            while view["status"] not in ENDED:
                # A connection dropped under the flood is asked again, a bounded number of times in a row.
                async for attempt in AsyncRetrying(
                    retry=retry_if_exception_type(httpx.TransportError),
                    stop=stop_after_attempt(TRANSPORT_ATTEMPTS),
                    reraise=True,
                ):
                    with attempt:
                        response = await client.get(f"/jobs/{job_id}", params={"wait": WAIT_MAX_SECONDS})
                view = response.raise_for_status().json()
            views[job_id] = view

    await asyncio.gather(*(watcher() for _ in range(CONNECTIONS)))
    return views


async def _flood(
    base: str, workers: list[Popen], url: str
) -> tuple[dict[str, int], collections.Counter, list[str], dict[str, dict]]:
    fresh = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=0)
    reused = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    first_refusal = asyncio.Event()

    async def start_workers() -> None:
        await first_refusal.wait()
        workers.extend(our_workers(url, QUEUE, 2, 1))

    async with httpx.AsyncClient(base_url=base, timeout=WAIT_MAX_SECONDS + 30, limits=fresh) as client:
        starter = asyncio.create_task(start_workers())
        accepted, statuses, faults = await _submit_all(client, first_refusal)
        first_refusal.set()  # no refusal at all: the assertions say so; the accepted jobs still run
        await starter
    async with httpx.AsyncClient(base_url=base, timeout=WAIT_MAX_SECONDS + 30, limits=reused) as client:
        views = await _outcomes(client, list(accepted))
    return accepted, statuses, faults, views


def test_a_flood_loses_nothing_and_refuses_with_429(stack: tuple[str, str]) -> None:
    url, base = stack
    control = redis.Redis.from_url(url)
    workers: list[Popen] = []
    try:
        accepted, statuses, faults, views = asyncio.run(_flood(base, workers, url))
    finally:
        stop(workers)
    answers = {i: sieve_tally(i * SPAN, (i + 1) * SPAN) for i in range(SPANS)}
    exact = sum(
        view["status"] == "finished"
        and view["result"]
        == {
            "count": answers[accepted[job_id] % SPANS].count,
            "histogram": answers[accepted[job_id] % SPANS].histogram,
        }
        for job_id, view in views.items()
    )
    refused = statuses[429]
    lost = len(accepted) - exact
    others = {status: n for status, n in statuses.items() if status not in (202, 429)}
    print(
        f"flood: {SUBMISSIONS:,} submissions, {len(accepted):,} accepted (202), {refused:,} refused (429), "
        f"lost or inexact {lost}, other statuses {others}"
    )
    assert faults == []
    assert statuses[202] + statuses[429] == SUBMISSIONS
    assert len(accepted) == statuses[202] > 0 and refused > 0
    assert lost == 0
    # Every accepted job has ended, so nothing is counted as waiting any more, and the queue is empty.
    assert queued(control) == (0, 0)
    assert control.llen(f"rq:queue:{QUEUE}") == 0
    control.close()
