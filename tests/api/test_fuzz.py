"""Property-based fuzz of the live API from its own OpenAPI spec (schemathesis): bad input is refused cleanly.

A dedicated API process on its own Redis database, with tiny job limits and no workers: only acceptance
is fuzzed, so accepted jobs just sit in the queue and are cheap to enqueue.
"""

import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from services.tools.local_stack import api as api_process
from tests.helpers import records_and_queue

pytestmark = pytest.mark.integration

FUZZ_DB = 7  # a database of the session's redis-server that nothing else uses
FUZZ_QUEUE = "fuzz"
# Tiny limits: most generated sizes are refused, the accepted ones enqueue at most 16 entries.
FUZZ_LIMITS = {
    "MAX_PRIMES_SPAN": "1000",
    "MAX_PRIMES_STOP": "100000",
    "MAX_PI_SAMPLES": "1000",
    "MAX_CHUNKS": "16",
}
# Generated requests per (operation, mode). Hypothesis stops early once an operation has nothing new
# to vary (GET /health, GET /workers take no input), and an operation may have no invalid input at all
# (a lone string path parameter), so the total is counted, not assumed.
BUDGET: dict[tuple[str, str], dict[GenerationMode, int]] = {
    ("POST", "/jobs"): {GenerationMode.POSITIVE: 350, GenerationMode.NEGATIVE: 450},
    ("GET", "/jobs/{job_id}"): {GenerationMode.POSITIVE: 150, GenerationMode.NEGATIVE: 40},
    ("POST", "/jobs/{job_id}/cancel"): {GenerationMode.POSITIVE: 150, GenerationMode.NEGATIVE: 40},
    ("GET", "/workers"): {GenerationMode.POSITIVE: 10},
    ("GET", "/health"): {GenerationMode.POSITIVE: 10},
}
MIN_GENERATED = 1000


@dataclass
class Tally:
    """What the fuzz sent and saw."""

    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    generated: int = 0  # requests schemathesis generated (the rest follow up on accepted jobs)
    accepted: dict[str, int] = field(default_factory=dict)  # job id -> queue entries it made
    failures: list[str] = field(default_factory=list)
    no_invalid_input: list[str] = field(default_factory=list)  # operations negative mode could not fuzz

    def count(self, operation: str, status: int) -> None:
        self.statuses[operation][status] += 1

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.statuses.values())

    def report(self, seconds: float) -> str:
        by_status = sum(self.statuses.values(), Counter())
        lines = [
            f"fuzz: {self.total} requests ({self.generated} generated) in {seconds:.1f}s; "
            f"by status: {_fmt(by_status)}"
        ]
        lines += [f"  {op}: {sum(c.values())} ({_fmt(c)})" for op, c in self.statuses.items()]
        lines += [f"  no invalid input to generate for {op}" for op in self.no_invalid_input]
        return "\n".join(lines)


def _fmt(counter: Counter) -> str:
    return ", ".join(f"{status}: {n}" for status, n in sorted(counter.items()))


@pytest.fixture(scope="module")
def fuzz_api(redis_url: str) -> Iterator[tuple[str, redis.Redis]]:
    """The API alone (uvicorn) on a fresh Redis database with tiny job limits; no workers."""
    url = redis_url.rsplit("/", 1)[0] + f"/{FUZZ_DB}"
    db = redis.Redis.from_url(url)
    db.flushdb()
    try:
        with api_process(url, FUZZ_QUEUE, **FUZZ_LIMITS) as base_url:
            yield base_url, db
    finally:
        db.flushdb()
        db.close()


def _snapshot(db: redis.Redis) -> tuple[int, int]:
    return records_and_queue(db, FUZZ_QUEUE)


def _job_kinds(base_url: str) -> set[str]:
    """The members of the POST /jobs union (its discriminator values), read from the OpenAPI spec."""
    spec = requests.get(f"{base_url}/openapi.json", timeout=10).json()
    body = spec["paths"]["/jobs"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return set(body["discriminator"]["mapping"])


def _check_rejection(status: int, body: Any, kinds: set[str]) -> str | None:
    """None if a 4xx body of POST /jobs names the field of every error; else what is wrong.

    A location that stops at a member of the job union (`["body", "pi"]`) names no field.
    """
    detail = body.get("detail") if isinstance(body, dict) else None
    if status == 413 and isinstance(detail, str) and detail:
        return None  # not about one field: the body as a whole is too large
    if not isinstance(detail, list) or not detail:
        return f"no error list: {body!r}"
    for error in detail:
        loc, msg = error.get("loc"), error.get("msg")
        if not loc or loc[0] != "body" or loc[-1] in kinds or not msg or not isinstance(msg, str):
            return f"error without a field or message: {error!r}"
    return None


def test_fuzz_bad_input_is_refused_cleanly(
    fuzz_api: tuple[str, redis.Redis], capsys: pytest.CaptureFixture[str]
) -> None:
    base_url, db = fuzz_api
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    kinds = _job_kinds(base_url)
    tally = Tally()
    session = requests.Session()
    started = time.monotonic()

    def send(case: schemathesis.Case) -> None:
        operation = f"{case.method} {case.path}"
        is_submit = operation == "POST /jobs"
        before = _snapshot(db) if is_submit else None
        try:
            response = case.call(base_url=base_url, session=session, timeout=10)
        except requests.RequestException as exc:
            tally.failures.append(f"{operation}: {exc!r}\n  {case.as_curl_command(base_url=base_url)}")
            return
        tally.generated += 1
        tally.count(operation, response.status_code)
        where = f"{response.status_code} {response.text[:300]}\n  {case.as_curl_command(base_url=base_url)}"
        if response.status_code >= 500:
            tally.failures.append(f"{operation} -> {where}")
        if not is_submit:
            return
        if response.status_code == 202:
            accepted = response.json()
            tally.accepted[accepted["id"]] = accepted["chunks"] or 1
            return
        if 400 <= response.status_code < 500:
            problem = _check_rejection(response.status_code, response.json(), kinds)
            if problem:
                tally.failures.append(f"{operation} -> {problem}\n  {where}")
        if _snapshot(db) != before:
            tally.failures.append(
                f"{operation} rejected but changed Redis {before} -> {_snapshot(db)}\n  {where}"
            )

    for (method, path), modes in BUDGET.items():
        operation = schema[path][method]
        for mode, examples in modes.items():

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case: schemathesis.Case) -> None:
                send(case)

            try:
                fuzz()
            except Unsatisfiable:
                tally.no_invalid_input.append(f"{method} {path}")

    # Every accepted job can then be read and canceled once; a second cancel is a conflict.
    for job_id in list(tally.accepted)[:50]:
        for method, path, expected in (("GET", "", 200), ("POST", "/cancel", 200), ("POST", "/cancel", 409)):
            response = session.request(method, f"{base_url}/jobs/{job_id}{path}", timeout=10)
            tally.count(f"{method} /jobs/{{job_id}}{path} (accepted job)", response.status_code)
            if response.status_code != expected:
                tally.failures.append(
                    f"{method} /jobs/{job_id} -> {response.status_code} {response.text[:300]}"
                )

    seconds = time.monotonic() - started
    with capsys.disabled():  # the figures belong in CI's log even when the test passes
        print("\n" + tally.report(seconds))
        print(f"fuzz: {len(tally.accepted)} jobs accepted, {sum(tally.accepted.values())} queue entries")
    assert not tally.failures, "\n".join(tally.failures[:20])
    assert tally.generated >= MIN_GENERATED, tally.report(seconds)
    # Nothing but accepted requests wrote: one record per 202, and exactly their queue entries.
    assert _snapshot(db) == (len(tally.accepted), sum(tally.accepted.values()))


# Bodies the generator cannot produce (they are not strict JSON), each once a 500 or a 400 naming nothing.
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"kernel": "pi", "params": {"samples": 5}, "mode": "\xff"}', id="not-utf8"),
        pytest.param(b'{"kernel": "pi", "params": {"samples": NaN}}', id="nan"),
        pytest.param(b'{"kernel": "pi", "params": {"samples": -Infinity}}', id="infinity"),
        pytest.param(b'{"kernel": "pi", "params": {"samples": 1e400}}', id="float-overflow"),
        pytest.param(b'{"kernel": "\\ud800", "params": {}}', id="lone-surrogate"),
        pytest.param(b'{"kernel": "pi", "params": {"samples": ' + b"9" * 5000 + b"}}", id="5000-digits"),
        pytest.param(b"[" * 20_000 + b"]" * 20_000, id="deep-nesting"),
    ],
)
def test_undecodable_or_unprintable_input_is_422_at_the_body(
    fuzz_api: tuple[str, redis.Redis], body: bytes
) -> None:
    base_url, db = fuzz_api
    before = _snapshot(db)
    response = requests.post(
        f"{base_url}/jobs", data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 422, response.text
    assert _check_rejection(422, response.json(), _job_kinds(base_url)) is None, response.text
    assert _snapshot(db) == before


def test_a_rule_of_the_whole_job_names_its_field(fuzz_api: tuple[str, redis.Redis]) -> None:
    """Once reported at the union member (`["body", "pi"]`); found by the fuzz."""
    base_url, db = fuzz_api
    before = _snapshot(db)
    body = {"kernel": "pi", "params": {"samples": 1000}, "chunk_size": 1}  # 1000 chunks; the limit is 16
    response = requests.post(f"{base_url}/jobs", json=body, timeout=10)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "pi", "chunk_size"]
    assert error["msg"] == "chunk_size too small: the job would make more than 16 chunks"
    assert _snapshot(db) == before
