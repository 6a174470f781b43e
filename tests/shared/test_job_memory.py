"""Finished records never crowd out accepted work: keys of unended work carry no expiry (so Redis's
volatile-lru never evicts them), an ended record is compacted and expires, and ended records are trimmed,
oldest first, past MAX_ENDED_JOBS or past ENDED_TRIM_MEMORY_SHARE of maxmemory. Real redis-server, each
test on its own, under the eviction policy the stack runs (docker-compose.yml).
"""

from collections.abc import Iterator

import pytest
import redis
from rq import Queue
from rq.serializers import JSONSerializer

from services.api.admission import ADMIT_TRIM_BATCH, QueueFull
from services.api.enqueue import enqueue
from shared.job_store import ENDED_IDS, JobKeys, JobStore
from shared.jobs import PrimesJob
from shared.settings import get_settings
from shared.tally import Tally
from tests.helpers import own_redis_client

pytestmark = pytest.mark.integration

TTL = 86_400
ONE = Tally(1, [1] + [0] * 9)


@pytest.fixture
def db() -> Iterator[redis.Redis]:
    """A redis-server of our own under the stack's eviction policy (docker-compose.yml)."""
    yield from own_redis_client("--maxmemory-policy", "volatile-lru")


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _accept(db: redis.Redis, mode: str, count: int) -> list[str]:
    """Jobs accepted as the API accepts them (records, RQ entries, admission), not yet run."""
    store = JobStore(db, TTL)
    queue = Queue("memory", connection=db, serializer=JSONSerializer)
    # Distributed: 4 chunks of 250 numbers.
    body = {"kernel": "primes", "params": {"start": 0, "stop": 1000}, "mode": mode, "chunk_size": 250}
    specs = [PrimesJob.model_validate(body)]
    return [job.job_id for job in enqueue(store, queue, specs * count)]


def _finish(db: redis.Redis, job_ids: list[str]) -> None:
    store = JobStore(db, TTL)
    for job_id in job_ids:
        store.begin(job_id, "host", 1)
        assert store.finish_local(job_id, ONE, 0.1, "host", 1)


def test_accepted_work_carries_no_expiry_and_an_ended_record_is_compact_and_expires(db: redis.Redis) -> None:
    (local,) = _accept(db, "local", 1)
    (split,) = _accept(db, "distributed", 1)
    store = JobStore(db, TTL)
    store.begin(split, "host", 1)
    assert store.merge_chunk(split, 0, ONE, 0.1, "host", [11]) == 1
    # Every key that holds work not yet ended (records, helper sets, RQ's jobs and queue): no expiry.
    keys = [k.decode() for k in db.keys("*")]
    volatile = {k: db.ttl(k) for k in keys if db.ttl(k) != -1}
    # The dashboard's list of recent ids is the only volatile key so far: nothing of a job's.
    assert set(volatile) == {"cpuc:jobs:recent"}, volatile
    # A split job's keys while it runs: its record and its merged hash; where it ran waits there.
    assert {k for k in keys if k.startswith(f"cpuc:job:{split}")} == {
        f"cpuc:job:{split}",
        f"cpuc:job:{split}:merged",
    }

    _finish(db, [local])
    for index in range(1, int(db.hget(JobKeys.of(split).record, "chunks_total"))):
        store.merge_chunk(split, index, ONE, 0.1, "host", [12])
    for job_id in (local, split):
        keys_of = JobKeys.of(job_id)
        assert 0 < db.ttl(keys_of.record) <= TTL
        # The merged set and the admitted share are dead once the job ended: one key is kept, the record.
        assert [k.decode() for k in db.keys(f"cpuc:job:{job_id}*")] == [keys_of.record]
        assert db.hmget(keys_of.record, "admitted_entries", "admitted_units") == [None, None]
    # Where the split job ran, folded into its record: 4 chunks on "host", by processes 11 and 12.
    assert db.hmget(JobKeys.of(split).record, "host:host", "pid:host:11", "pid:host:12") == [b"4", b"1", b"1"]
    # A local job's processes, noted after its end, are fields of its record, under its expiry.
    store.record_pids(local, "host", [21, 22])
    assert db.hmget(JobKeys.of(local).record, "host:host", "pid:host:21", "pid:host:22") == [b"1", b"1", b"1"]
    assert 0 < db.ttl(JobKeys.of(local).record) <= TTL
    # Noted after the record was trimmed, they write nothing: no record half made again.
    db.delete(JobKeys.of(local).record)
    store.record_pids(local, "host", [23])
    assert not db.exists(JobKeys.of(local).record)
    assert [i.decode() for i in db.lrange(ENDED_IDS, 0, -1)] == [local, split]


def test_past_max_ended_jobs_the_oldest_ended_records_go_and_unended_work_stays(
    db: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_ENDED_JOBS", "5")
    waiting = _accept(db, "distributed", 3)
    done = _accept(db, "local", 12)
    _finish(db, done)
    kept = [i.decode() for i in db.lrange(ENDED_IDS, 0, -1)]
    assert kept == done[-5:]
    assert [bool(db.exists(JobKeys.of(j).record)) for j in done] == [False] * 7 + [True] * 5
    assert not any(db.keys(f"cpuc:job:{j}*") for j in done[:7])
    for job_id in waiting:
        assert db.hget(JobKeys.of(job_id).record, "status") == b"queued"
    # Their entries are all there and all counted (the ended jobs' RQ entries too: no worker took them).
    chunks = sum(int(db.hget(JobKeys.of(j).record, "chunks_total")) for j in waiting)
    assert int(db.get("cpuc:admitted:entries")) == chunks
    assert db.llen("rq:queue:memory") == chunks + len(done)


def test_under_memory_pressure_ended_records_are_trimmed_and_evicted_never_unended_work(
    db: redis.Redis,
) -> None:
    waiting = _accept(db, "distributed", 20)
    queued_entries = db.llen("rq:queue:memory")
    done = _accept(db, "local", 300)
    entries = db.llen("rq:queue:memory")
    _finish(db, done[:200])
    # Redis now sits just above the trim share of a maxmemory set under what it holds: the next ends
    # trim the oldest ended records, four per end, and anything more would be evicted, not refused.
    used = db.info("memory")["used_memory"]
    db.config_set("maxmemory", str(int(used / (get_settings().ended_trim_memory_share + 0.05))))
    before = db.llen(ENDED_IDS)
    _finish(db, done[200:])
    # Every end under pressure trimmed up to four oldest ones: fewer ended records than ended jobs.
    assert db.llen(ENDED_IDS) < before + 100
    assert not db.exists(JobKeys.of(done[0]).record)
    # Push far past maxmemory with volatile keys: Redis evicts ended records, never unended work.
    db.config_set("maxmemory", str(int(db.info("memory")["used_memory"] * 0.9)))
    for i in range(2000):
        db.set(f"filler:{i}", "x" * 200, ex=3600)
    assert db.info("stats")["evicted_keys"] > 0
    for job_id in waiting:
        assert db.hget(JobKeys.of(job_id).record, "status") == b"queued"
    # RQ's entries and jobs (those of the ended records too: no worker took them) have no expiry either.
    assert db.llen("rq:queue:memory") == entries
    assert len(db.keys("rq:job:*")) == entries
    # The work accepted and not yet ended is still counted whole by admission.
    assert int(db.get("cpuc:admitted:entries")) == queued_entries


def test_admission_trims_ended_records_before_it_refuses_for_memory(db: redis.Redis) -> None:
    """Over MAX_REDIS_MEMORY_SHARE with no job ending, nothing else would trim them: a 429 for good."""
    done = _accept(db, "local", 300)
    _finish(db, done)
    share = get_settings().max_redis_memory_share
    db.config_set("maxmemory", str(int(db.info("memory")["used_memory"] / (share + 0.01))))
    (admitted,) = _accept(db, "local", 1)
    assert db.hget(JobKeys.of(admitted).record, "status") == b"queued"
    assert not db.exists(JobKeys.of(done[0]).record)  # the oldest went first
    assert 300 - ADMIT_TRIM_BATCH <= db.llen(ENDED_IDS) < 300
    # No ended record left to trim: the memory bound refuses, and writes nothing.
    db.delete(ENDED_IDS)
    db.config_set("maxmemory", str(int(db.info("memory")["used_memory"] / (share + 0.01))))
    entries = db.llen("rq:queue:memory")
    with pytest.raises(QueueFull, match="MAX_REDIS_MEMORY_SHARE"):
        _accept(db, "local", 1)
    assert db.llen("rq:queue:memory") == entries
