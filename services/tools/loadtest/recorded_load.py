"""A steady stream of jobs at a fixed rate, every operation recorded (services/tools/history/recorder.py).

Threads submit the jobs in turn (the i-th at i / rate seconds), cancel every CANCEL_EVERY-th one they get
accepted, and read a job accepted earlier after each submission: a history the checker can judge. Every
request's body is unique (`unique_primes`), so that a submission with no answer can be matched to the
job it may have made. For `make chaos SCHEDULE=random`, and for any load that wants a checked history.
"""

import itertools
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from services.tools import api_auth
from services.tools.history import recorder
from services.tools.history.recorder import Recorder

CANCEL_EVERY = 20


def unique_primes(span: int) -> Callable[[int], dict[str, Any]]:
    """The i-th request: the primes in [7 i, 7 i + span), local, distributed and hybrid in turn (the
    latter two in 4 chunks): no two requests alike."""
    modes = ("local", "distributed", "hybrid")

    def body(i: int) -> dict[str, Any]:
        request: dict[str, Any] = {"kernel": "primes", "params": {"start": 7 * i, "stop": 7 * i + span}}
        request["mode"] = modes[i % len(modes)]
        if request["mode"] != "local":
            request["chunk_size"] = -(-span // 4)
        return request

    return body


class RecordedLoad:
    """Submits `rate` jobs a second from `threads` threads until `stop()`; `accepted` holds their ids."""

    def __init__(
        self,
        url: str,
        history: Recorder,
        rate: float,
        threads: int = 4,
        body: Callable[[int], dict[str, Any]] | None = None,
        timeout: float = 5.0,
        seed: int = 0,
    ) -> None:
        self.url, self.history, self.rate, self.timeout, self.seed = url, history, rate, timeout, seed
        self.body = body or unique_primes(20_000)
        self.accepted: list[str] = []
        self._next = itertools.count()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"client-{n}", daemon=True) for n in range(threads)
        ]
        self._started = 0.0

    def start(self) -> "RecordedLoad":
        self._started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop submitting; returns once every thread's request in flight has ended."""
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self) -> None:
        rng = random.Random(f"{self.seed}-{threading.current_thread().name}")
        with httpx.Client(base_url=self.url, headers=api_auth.headers(), timeout=self.timeout) as api:
            while True:
                i = next(self._next)
                if self._stop.wait(max(0.0, self._started + i / self.rate - time.monotonic())):
                    return
                job_id = recorder.submit(api, self.history, self.body(i))
                if job_id is not None:
                    self.accepted.append(job_id)
                    if len(self.accepted) % CANCEL_EVERY == 0:
                        recorder.cancel(api, self.history, job_id)
                if self.accepted:
                    recorder.read(api, self.history, rng.choice(self.accepted))
