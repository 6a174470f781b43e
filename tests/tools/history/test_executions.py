"""The workers' end-of-job steps (shared/job_store.py) record every execution in the EXECUTIONS stream.

Real redis-server; read back the way the checker reads it (services/tools/history/stored.py).
"""

import uuid

import pytest
import redis

from services.tools.history.stored import Ended, OnClient, admitted, mark, read
from shared.job_store import ADMITTED_ENTRIES, EXECUTIONS, JobStore
from shared.tally import Tally

pytestmark = pytest.mark.integration

SPEC = {"kernel": "primes", "params": {"start": 0, "stop": 1000}, "mode": "distributed"}


def new_job(store: JobStore, mode: str, chunks: int) -> str:
    job_id = uuid.uuid4().hex
    store.create(job_id, {**SPEC, "mode": mode}, mode, 500, chunks, "fixed")
    return job_id


def test_a_chunk_merged_twice_shows_two_executions_and_one_effect(redis_client: redis.Redis) -> None:
    since = mark(OnClient(redis_client))
    store = JobStore(redis_client, 600)
    job_id = new_job(store, "distributed", 2)
    store.begin(job_id, "worker-a", 1)
    assert store.merge_chunk(job_id, 0, Tally(3), 0.1, "worker-a", [11]) == 1
    assert store.merge_chunk(job_id, 0, Tally(3), 0.1, "worker-b", [12]) == -1  # the re-run, refused
    assert store.merge_chunk(job_id, 1, Tally(4), 0.1, "worker-b", [12]) == 2

    stored = read(OnClient(redis_client), since)
    runs = [(e.chunk, e.host, e.attempt, e.effect) for e in stored.executions if e.job == job_id]
    assert runs == [("0", "worker-a", 1, True), ("0", "worker-b", 1, False), ("1", "worker-b", 1, True)]
    (job,) = [j for j in stored.jobs if j.id == job_id]
    assert (job.status, job.answer["count"], job.mode) == ("finished", 7, "distributed")
    assert not stored.truncated


def test_a_local_job_run_after_it_ended_is_an_execution_without_effect(redis_client: redis.Redis) -> None:
    since = mark(OnClient(redis_client))
    store = JobStore(redis_client, 600)
    job_id = new_job(store, "local", 4)
    store.begin(job_id, "worker-a", 2)
    store.requeued(job_id, "pool process died", whole_job=True)  # RQ runs it again: attempt 2
    assert store.finish_local(job_id, Tally(5), 0.2, "worker-a", 4)
    assert not store.finish_local(job_id, Tally(5), 0.2, "worker-b", 4)
    assert store.cancel(job_id) == "finished"  # the API's cancel of an ended job: no execution

    runs = [(e.chunk, e.host, e.attempt, e.effect) for e in read(OnClient(redis_client), since).executions]
    assert runs == [("all", "worker-a", 2, True), ("all", "worker-b", 2, False)]


def test_every_end_is_noted_on_the_stream_and_outlives_its_evicted_record(redis_client: redis.Redis) -> None:
    since = mark(OnClient(redis_client))
    store = JobStore(redis_client, 600)
    distributed, local, canceled = (
        new_job(store, "distributed", 2),
        new_job(store, "local", 1),
        new_job(store, "local", 1),
    )
    store.begin(distributed, "worker-a", 1)
    store.merge_chunk(distributed, 0, Tally(3), 0.1, "worker-a", [11])
    store.merge_chunk(distributed, 1, Tally(4), 0.1, "worker-a", [11])
    store.begin(local, "worker-a", 2)
    assert store.finish_local(local, Tally(5), 0.2, "worker-a", 1)
    assert store.cancel(canceled) == "canceled"
    for job_id in (distributed, local, canceled):
        redis_client.delete(f"cpuc:job:{job_id}")  # as volatile-lru evicts an ended record
    stored = read(OnClient(redis_client), since)
    assert {j.id for j in stored.jobs} & {distributed, local, canceled} == set()
    assert stored.ends == {
        distributed: Ended("finished", 7),
        local: Ended("finished", 5),
        canceled: Ended("canceled", 0),
    }
    assert [(e.job, e.chunk) for e in stored.executions] == [
        (distributed, "0"),
        (distributed, "1"),
        (local, "all"),
    ]
    assert not stored.truncated


def test_records_created_before_the_run_are_left_out(redis_client: redis.Redis) -> None:
    store = JobStore(redis_client, 600)
    before = new_job(store, "local", 1)
    since = mark(OnClient(redis_client))
    after = new_job(store, "local", 1)
    ids = {j.id for j in read(OnClient(redis_client), since).jobs}
    assert after in ids and before not in ids


def test_a_stream_trimmed_past_the_start_says_so(redis_client: redis.Redis) -> None:
    since = mark(OnClient(redis_client))
    store = JobStore(redis_client, 600)
    job_id = new_job(store, "distributed", 2)
    store.begin(job_id, "worker-a", 1)
    store.merge_chunk(job_id, 0, Tally(1), 0.1, "worker-a", [11])
    store.merge_chunk(job_id, 1, Tally(1), 0.1, "worker-a", [11])
    assert not read(OnClient(redis_client), since).truncated
    redis_client.xtrim(EXECUTIONS, maxlen=1, approximate=False)  # as EXECUTIONS_KEPT does on a long run
    stored = read(OnClient(redis_client), since)
    assert stored.truncated and [e.chunk for e in stored.executions] == ["1"]


def test_records_and_executions_are_read_in_batches_and_pages_whole(redis_client: redis.Redis) -> None:
    """Short reads that leave Redis serving the stack between them, and nothing skipped or read twice."""
    since = mark(OnClient(redis_client))
    store = JobStore(redis_client, 600)
    ids = [new_job(store, "distributed", 2) for _ in range(5)]
    for job_id in ids:
        store.begin(job_id, "worker-a", 1)
        store.merge_chunk(job_id, 0, Tally(1), 0.1, "worker-a", [11])
        store.merge_chunk(job_id, 1, Tally(1), 0.1, "worker-a", [11])
    stored = read(OnClient(redis_client), since, batch=2, page_size=3)
    assert sorted(j.id for j in stored.jobs) == sorted(ids)
    assert [(e.job, e.chunk) for e in stored.executions] == [(i, c) for i in ids for c in ("0", "1")]


def test_the_drain_reads_the_work_admitted_and_not_ended(redis_client: redis.Redis) -> None:
    before = admitted(OnClient(redis_client))
    redis_client.incrby(ADMITTED_ENTRIES, 3)  # as the API's admission does for 3 queue entries
    try:
        assert admitted(OnClient(redis_client)) == before + 3
    finally:
        redis_client.decrby(ADMITTED_ENTRIES, 3)
