"""The soak's load: submitters that post jobs as fast as the API accepts them, then the drain.

Each submitter posts the next job of the mix (tiny and normal, local and distributed) as soon as the last
was answered; a 429 or 503 is obeyed (its Retry-After), nothing else slows it. Every 202 is kept, with
the kind of job it was, for the checker (checker.py); the drain then reads each to its end.
"""

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import cycle
from typing import Any

import httpx

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
    """What the submitters saw, shared between them (a lock around every change)."""

    accepted: list[tuple[float, str, str]] = field(default_factory=list)  # (time, job id, kind)
    refused: int = 0  # 429: past the admission bound
    unavailable: int = 0  # 503: Redis away
    errors: list[str] = field(default_factory=list)  # anything else, or no answer (outcome unknown)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.accepted)


def submit_until(url: str, deadline: float, submitters: int, seen: Submissions) -> None:
    """Post jobs from `submitters` threads until `deadline` (time.monotonic), into `seen`."""
    threads = [
        threading.Thread(target=_submitter, args=(url, deadline, seen, i), name=f"submitter-{i}", daemon=True)
        for i in range(submitters)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _submitter(url: str, deadline: float, seen: Submissions, offset: int) -> None:
    bodies = cycle(MIX[offset % len(MIX) :] + MIX[: offset % len(MIX)])
    with httpx.Client(base_url=url, headers=api_auth.headers(), timeout=30) as client:
        while time.monotonic() < deadline:
            body = next(bodies)
            try:
                response = client.post("/jobs", json=body)
            except httpx.HTTPError as exc:
                with seen.lock:
                    seen.errors.append(f"POST /jobs: {type(exc).__name__}: {exc}")
                time.sleep(1)
                continue
            if response.status_code == 202:
                with seen.lock:
                    seen.accepted.append((time.time(), response.json()["id"], kind(body)))
            elif response.status_code in (429, 503):
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


def drain(
    url: str, job_ids: list[str], timeout: float, on_ended: Callable[[], None] = lambda: None
) -> dict[str, dict[str, Any] | None]:
    """Each job's last view once it ended, or None if it had not by `timeout` seconds from now."""
    deadline = time.monotonic() + timeout
    limits = httpx.Limits(max_connections=10)
    with httpx.Client(
        base_url=url, headers=api_auth.headers(), timeout=LONG_POLL + 10, limits=limits
    ) as client:

        def end_of(job_id: str) -> dict[str, Any] | None:
            while (left := deadline - time.monotonic()) > 0:
                try:
                    response = client.get(f"/jobs/{job_id}", params={"wait": min(LONG_POLL, left)})
                except httpx.HTTPError:
                    time.sleep(1)
                    continue
                if response.status_code == 503:
                    time.sleep(1)
                    continue
                view = response.json()
                if response.status_code != 200 or view["status"] in ENDED:
                    on_ended()
                    return view if response.status_code == 200 else {"status": f"HTTP {response.status_code}"}
            return None

        with ThreadPoolExecutor(8) as pool:
            return dict(zip(job_ids, pool.map(end_of, job_ids), strict=True))
