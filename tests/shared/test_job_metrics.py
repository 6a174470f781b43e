"""Job counters and latency histograms, kept by the job store's own atomic steps, on a real redis-server."""

import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from shared import job_metrics
from shared.job_store import JobKeys, JobStore
from shared.tally import Tally

pytestmark = pytest.mark.integration

METRICS_DB = 8  # a database of the session's redis-server that nothing else uses
PRIMES = {"kernel": "primes", "params": {"start": 0, "stop": 1000}}
PI = {"kernel": "pi", "params": {"samples": 1000, "seed": 1}}


@pytest.fixture
def store(redis_url: str) -> Iterator[JobStore]:
    client = redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + f"/{METRICS_DB}")
    client.flushdb()
    yield JobStore(client, 600)
    client.flushdb()
    client.close()


def _created(store: JobStore, spec: dict, mode: str, chunks: int = 0, age: float = 0.0) -> str:
    """A new job, as if accepted `age` seconds ago (its latency is then about `age`)."""
    job_id = uuid.uuid4().hex
    store.create(job_id, spec, mode, chunk_size=1, chunks_total=chunks, chunking="fixed")
    if age:
        store.redis.hset(JobKeys.of(job_id).record, "created_at", time.time() - age)
    return job_id


def _bucket(histogram: job_metrics.Histogram, le: str) -> int:
    return dict(histogram.buckets)[le]


def test_every_job_is_counted_once_where_it_is_created_and_where_it_ends(store: JobStore) -> None:
    local = _created(store, PRIMES, "local", age=3.0)
    store.begin(local, "host-a", 2)
    assert store.finish_local(local, Tally(5, [1] * 10), 0.1, "host-a", 4)
    # A late failure or cancel of an ended job changes nothing, so counts nothing.
    assert not store.fail(local, "late", "")
    assert store.cancel(local) == "finished"

    distributed = _created(store, PI, "distributed", chunks=2, age=0.3)
    store.begin(distributed, "host-b", 1)
    assert store.merge_chunk(distributed, 0, Tally(1, [0] * 10), 0.01, "host-b") == 1
    assert store.merge_chunk(distributed, 0, Tally(1, [0] * 10), 0.01, "host-b") == -1  # a re-run chunk
    assert store.merge_chunk(distributed, 1, Tally(1, [0] * 10), 0.01, "host-b") == 2  # the last: finished

    failed = _created(store, PI, "distributed", chunks=2)
    assert store.fail(failed, "boom", "traceback")
    assert store.merge_chunk(failed, 0, Tally(1, [0] * 10), 0.01, "host-b") == -2
    canceled = _created(store, PRIMES, "local")
    assert store.cancel(canceled) == "canceled"
    _created(store, PRIMES, "hybrid")  # accepted, still queued

    found = job_metrics.read(store.redis)
    assert found.accepted == {
        ("local", "primes"): 2,
        ("distributed", "pi"): 2,
        ("hybrid", "primes"): 1,
    }
    assert found.ended == {
        ("local", "primes", "finished"): 1,
        ("local", "primes", "canceled"): 1,
        ("distributed", "pi", "finished"): 1,
        ("distributed", "pi", "failed"): 1,
    }
    # Only finished jobs are timed: one each, in the bucket of their age (3 s; 0.3 s).
    latency = found.histograms["latency"]
    assert set(latency) == {("local", "primes"), ("distributed", "pi")}
    local_latency = latency[("local", "primes")]
    assert (_bucket(local_latency, "2.5"), _bucket(local_latency, "5.0"), _bucket(local_latency, "+Inf")) == (
        0,
        1,
        1,
    )
    assert 3.0 <= local_latency.sum < 5.0
    pi_latency = latency[("distributed", "pi")]
    assert (_bucket(pi_latency, "0.25"), _bucket(pi_latency, "0.5")) == (0, 1)
    # Cumulative, in order, ending at +Inf.
    for histogram in [*latency.values(), *found.histograms["run"].values()]:
        bounds = [le for le, _ in histogram.buckets]
        assert bounds == [repr(b) for b in job_metrics.BOUNDS] + ["+Inf"]
        counts = [n for _, n in histogram.buckets]
        assert counts == sorted(counts) and counts[-1] == 1
    # Run time: from the first start, which came after the acceptance.
    assert found.histograms["run"][("local", "primes")].sum < local_latency.sum


def test_the_lua_bounds_match_what_the_reader_expects(store: JobStore) -> None:
    """Lua writes a bound with tostring (1.0 as "1"); the reader must find every bucket it writes."""
    lower = 0.0
    for bound in job_metrics.BOUNDS:
        job_id = _created(store, PRIMES, "local", age=(lower + bound) / 2)  # well inside its bucket
        store.begin(job_id, "h", 1)
        store.finish_local(job_id, Tally(0, [0] * 10), 0.0, "h", 1)
        lower = bound
    histogram = job_metrics.read(store.redis).histograms["latency"][("local", "primes")]
    assert [n for _, n in histogram.buckets] == [
        *range(1, len(job_metrics.BOUNDS) + 1),
        len(job_metrics.BOUNDS),
    ]
