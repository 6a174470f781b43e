"""The soak's load: submitters that post jobs as fast as the API accepts them, and watchers that see
each accepted job end.

Each submitter posts the next job of the mix (tiny and normal, local and distributed) as soon as the last
was answered; a 429 or 503 is obeyed (its Retry-After). Every 202 goes to the watchers, oldest first, who
long-poll it to its end and keep its last view for the checker (checker.py): an ended job's record may be
trimmed soon after its end under memory pressure (shared/job_store.py), so it is read as it ends, not
after the load. At most MAX_IN_FLIGHT accepted jobs wait for their watcher: past that the submitters wait.
"""

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import cycle
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, retry_if_result, wait_fixed

from services.tools import api_auth
from shared.job_status import ENDED

# The mix, submitted in turn: tiny jobs (~1 ms of work, all overhead) and normal ones (tens of ms).
TINY, NORMAL = 1_000, 100_000
MIX: tuple[dict[str, Any], ...] = tuple(
    {"kernel": "primes", "params": {"start": 0, "stop": stop}, "mode": mode}
    for stop in (TINY, NORMAL)
    for mode in ("local", "distributed")
)
# Seconds one long poll of the drain may wait for a job to end.
LONG_POLL = 10.0


def kind(body: dict[str, Any]) -> str:
    """A job body's name in the report: `<mode>-<stop>`."""
    return f"{body['mode']}-{body['params']['stop']}"


@dataclass
class Submissions:
    """What the submitters and watchers saw, shared between them (a lock around every change)."""

    max_in_flight: int
    accepted: list[tuple[float, str, str]] = field(default_factory=list)  # (time, job id, kind)
    ends: dict[str, dict[str, Any]] = field(default_factory=dict)  # job id -> its last view, once ended
    refused: int = 0  # 429: past the admission bound
    unavailable: int = 0  # 503: Redis away
    errors: list[str] = field(default_factory=list)  # anything else, or no answer (outcome unknown)
    # When a submitter first found all MAX_IN_FLIGHT slots taken: before it, the submitters fill the window
    # ahead of the workers; after it, one job is accepted per job seen ended (the stack's throughput).
    filled_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: queue.Queue = field(default_factory=queue.Queue)  # (job id) for the watchers; None: no more

    def __post_init__(self) -> None:
        self.slots = threading.BoundedSemaphore(self.max_in_flight)

    def count(self) -> int:
        with self.lock:
            return len(self.accepted)


def run(
    url: str,
    duration: float,
    submitters: int,
    watchers: int,
    drain_timeout: float,
    seen: Submissions,
    on_load_end: Callable[[], None] = lambda: None,
) -> float:
    """Load for `duration` seconds, then wait up to `drain_timeout` for the watchers; the load's end time."""
    deadline = time.monotonic() + duration
    watching = [
        threading.Thread(target=_watcher, args=(url, seen), name=f"watcher-{i}", daemon=True)
        for i in range(watchers)
    ]
    posting = [
        threading.Thread(target=_submitter, args=(url, deadline, seen, i), name=f"submitter-{i}", daemon=True)
        for i in range(submitters)
    ]
    for thread in [*watching, *posting]:
        thread.start()
    for thread in posting:
        thread.join()
    ended = time.time()
    on_load_end()
    for _ in watching:
        seen.pending.put(None)
    drain_deadline = time.monotonic() + drain_timeout
    for thread in watching:
        thread.join(max(0.0, drain_deadline - time.monotonic()))
    return ended


def _submitter(url: str, deadline: float, seen: Submissions, offset: int) -> None:
    bodies = cycle(MIX[offset % len(MIX) :] + MIX[: offset % len(MIX)])
    with httpx.Client(base_url=url, headers=api_auth.headers(), timeout=30) as client:
        while time.monotonic() < deadline:
            if not seen.slots.acquire(blocking=False):
                if seen.filled_at is None:
                    seen.filled_at = time.time()
                if not seen.slots.acquire(timeout=1):
                    continue  # the watchers are behind: wait for them
            body = next(bodies)
            try:
                response = client.post("/jobs", json=body)
            except httpx.HTTPError as exc:
                seen.slots.release()
                with seen.lock:
                    seen.errors.append(f"POST /jobs: {type(exc).__name__}: {exc}")
                time.sleep(1)
                continue
            if response.status_code == 202:
                job_id = response.json()["id"]
                with seen.lock:
                    seen.accepted.append((time.time(), job_id, kind(body)))
                seen.pending.put(job_id)
                continue
            seen.slots.release()
            if response.status_code in (429, 503):
                with seen.lock:
                    if response.status_code == 429:
                        seen.refused += 1
                    else:
                        seen.unavailable += 1
                wait = float(response.headers.get("Retry-After", "1"))
                time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
            else:
                with seen.lock:
                    seen.errors.append(f"POST /jobs: {response.status_code} {response.text[:200]}")


def _watcher(url: str, seen: Submissions) -> None:
    """Long-poll each pending job to its end, oldest first, until told there are no more. No answer or a
    503 (Redis away) is asked again a second later, for as long as it takes: the drain's deadline is the
    caller's."""
    asking = Retrying(
        wait=wait_fixed(1),
        retry=retry_if_exception_type(httpx.HTTPError) | retry_if_result(lambda r: r.status_code == 503),
    )
    with httpx.Client(base_url=url, headers=api_auth.headers(), timeout=LONG_POLL + 10) as client:
        while (job_id := seen.pending.get()) is not None:
            while True:
                response = asking(client.get, f"/jobs/{job_id}", params={"wait": LONG_POLL})
                view = (
                    response.json()
                    if response.status_code == 200
                    else {"status": f"HTTP {response.status_code}"}
                )
                if response.status_code != 200 or view["status"] in ENDED:
                    with seen.lock:
                        seen.ends[job_id] = view
                    seen.slots.release()
                    break
