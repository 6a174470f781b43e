"""LeanWorker on our own queue entries: the job begun in the take script and the chunk merged in the finish
script (worker.queue.handoff), on the session's real redis-server; stock SimpleWorker on the same entries
still takes the store's own round trips.

Jobs are written as the API writes them (services.api.enqueue); the worker runs in this process (burst
mode) with worker.tasks' job functions, whose store is this test's (distributed chunks need no pool).
"""

import os
import signal
import socket
import uuid
from collections.abc import Iterator

import pytest
import redis
from rq import Queue, SimpleWorker, Worker
from rq.executions import Execution
from rq.serializers import JSONSerializer

from services.api.enqueue import enqueue
from shared.entries import entry_id
from shared.job_store import EXECUTIONS, JobKeys, JobStore
from shared.jobs import parse_job
from shared.kernels.primes import count_primes
from shared.settings import get_settings
from tests.helpers import burst, monitored
from worker import runtime
from worker.queue import lean
from worker.queue.lean import LeanWorker, OwnEntries

pytestmark = pytest.mark.integration

HOST = socket.gethostname()
# Chunks of 100 numbers from 1000: every chunk's primes end in 1, 3, 7 and 9 (4 histogram bins).
LO, CHUNK = 1_000, 100


@pytest.fixture
def store(redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> JobStore:
    """The job store of the job functions run in this process: on the session's redis-server."""
    store = JobStore(redis_client, 3600)
    monkeypatch.setattr(runtime, "_store", store)
    return store


@pytest.fixture
def queue(redis_client: redis.Redis) -> Queue:
    return Queue(f"own-{uuid.uuid4().hex[:8]}", connection=redis_client, serializer=JSONSerializer)


def submit(store: JobStore, queue: Queue, chunks: int) -> str:
    """A distributed primes job of `chunks` chunks, written as the API writes it; its id."""
    spec = parse_job(
        {
            "kernel": "primes",
            "params": {"start": LO, "stop": LO + chunks * CHUNK},
            "mode": "distributed",
            "chunk_size": CHUNK,
        }
    )
    (accepted,) = enqueue(store, queue, [spec])
    return accepted.job_id


def work(queue: Queue, store: JobStore, stock: bool = False) -> SimpleWorker:
    """Run LeanWorker (our entries begun and merged in its scripts), or stock SimpleWorker, until empty."""
    if stock:
        return burst(SimpleWorker([queue], connection=queue.connection, serializer=JSONSerializer))
    own = OwnEntries(HOST, 1, store)
    return burst(LeanWorker([queue], connection=queue.connection, serializer=JSONSerializer, own=own))


def exact(chunks: int) -> tuple[int, list[int]]:
    tally = count_primes(LO, LO + chunks * CHUNK)
    return tally.count, tally.histogram


def calls(seen: list[dict]) -> Iterator[tuple[str, list[str]]]:
    """Each command a client sent, with the commands its script ran (MONITOR lists them right after)."""
    current: tuple[str, list[str]] | None = None
    for command in seen:
        if command["client_address"] == "lua":
            assert current is not None
            current[1].append(command["command"].split()[0].upper())
            continue
        if current is not None:
            yield current
        current = (command["command"], [])
    if current is not None:
        yield current


@pytest.mark.parametrize("stock", [False, True], ids=["lean", "stock-simple"])
def test_a_distributed_job_finishes_exact(queue: Queue, store: JobStore, stock: bool) -> None:
    job_id = submit(store, queue, 3)
    work(queue, store, stock)
    record = store.read(job_id)
    assert record is not None and record.status == "finished"
    assert (record.tally.count, record.tally.histogram) == exact(3)
    assert (record.chunks_done, record.hosts, record.pool_processes) == (3, {HOST: 3}, {HOST: 1})
    assert record.started_at is not None and record.ended_at is not None
    assert sorted(queue.finished_job_registry.get_job_ids()) == sorted(entry_id(job_id, i) for i in range(3))
    assert queue.connection.zcard(queue.started_job_registry.key) == 0


def test_what_rq_info_reads_of_the_worker_is_whole_once_it_is_idle(
    queue: Queue, store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our entries' finish leaves the worker's counters and state to its next beat; going idle sends them."""
    monkeypatch.setattr(lean, "BEAT_INTERVAL", 3600.0)  # no beat within the run: only going idle sends them
    submit(store, queue, 3)
    worker = work(queue, store)
    fields = queue.connection.hgetall(worker.key)
    assert (fields[b"state"], fields[b"successful_job_count"]) == (b"idle", b"3")
    assert float(fields[b"total_working_time"]) > 0
    assert worker.lean_jobs == 3


def test_lean_takes_one_round_trip_per_chunk_and_stock_four(
    redis_url: str, queue: Queue, store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's begin and merge scripts run only under stock SimpleWorker; LeanWorker's scripts carry
    them: one take, then per chunk one finish that takes the next job too (the last finds the queue empty),
    one take sent while the second chunk runs (so one chunk always waits ahead), and one take that finds
    the queue empty before the burst ends."""
    monkeypatch.setattr(lean, "BEAT_INTERVAL", 3600.0)  # no heartbeat within the run: counts are exact
    probe = LeanWorker([queue], connection=queue.connection, own=OwnEntries(HOST, 1, store))
    scripts = {sha: name for name, sha in {**probe.script_shas(), **store.script_shas()}.items()}
    # Every script loaded first: a script Redis does not know yet is sent twice (NOSCRIPT, then loaded).
    for stock in (False, True):
        submit(store, queue, 2)
        work(queue, store, stock)
    counts = {}
    for stock in (False, True):
        submit(store, queue, 4)
        with monitored(redis_url) as seen:
            work(queue, store, stock)
        names = [scripts.get(c.split()[1], "other") for c, _ in calls(seen) if c.startswith("EVALSHA ")]
        counts[stock] = {name: names.count(name) for name in sorted(set(names))}
    assert counts[False] == {"finish_take": 4, "take": 3}
    assert counts[True] == {"begin": 4, "merge": 4}


def test_with_take_ahead_off_a_chunk_waits_for_its_round_trip(
    redis_url: str, queue: Queue, store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TAKE_AHEAD_SECONDS=0 (or chunks that run longer): no take is sent while a chunk runs, so each
    finish takes the next job and is waited for; the job still ends exact."""
    monkeypatch.setattr(lean, "BEAT_INTERVAL", 3600.0)
    monkeypatch.setenv("TAKE_AHEAD_SECONDS", "0")
    get_settings.cache_clear()
    try:
        workers = [
            LeanWorker(
                [queue],
                connection=queue.connection,
                serializer=JSONSerializer,
                own=OwnEntries(HOST, 1, store),
            )
            for _ in "ab"
        ]
    finally:
        monkeypatch.delenv("TAKE_AHEAD_SECONDS")
        get_settings.cache_clear()
    scripts = {sha: name for name, sha in workers[0].script_shas().items()}
    for worker in workers:  # the first loads the scripts: a script Redis does not know is sent twice
        job_id = submit(store, queue, 4)
        with monitored(redis_url) as seen:
            burst(worker)
    names = [scripts.get(c.split()[1], "other") for c, _ in calls(seen) if c.startswith("EVALSHA ")]
    assert names == ["take", *["finish_take"] * 4, "take"]
    record = store.read(job_id)
    assert record is not None and record.status == "finished"
    assert (record.tally.count, record.tally.histogram, record.chunks_done) == (*exact(4), 4)


# What every finish of our entries writes of RQ's records (finish_ours.lua), after the merge.
RQ_FINISHED = [
    "HSET",  # the RQ job: finished
    "EXPIRE",
    "ZADD",  # the finished registry
    "DEL",  # the execution
    "ZREM",  # the started registry
    "SREM",  # the worker's executions
]


def test_the_commands_of_a_chunk_in_the_middle_of_a_job(
    redis_url: str, queue: Queue, store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exact: what a chunk that neither starts nor ends its job sends (`make bench` shows the same)."""
    monkeypatch.setattr(lean, "BEAT_INTERVAL", 3600.0)
    job_id = submit(store, queue, 4)
    with monitored(redis_url) as seen:
        work(queue, store)
    scripts = [(command.split()[1], ran) for command, ran in calls(seen) if command.startswith("EVALSHA ")]
    # A take; per chunk a finish that takes the next; once, a take sent while the second chunk runs (one
    # chunk waits ahead from then on); then a take that finds the queue empty. The fourth script: the
    # second chunk's finish, with the take of the last (the same commands as every chunk's take).
    assert len(scripts) == 7
    assert len(scripts[2][1]) == 9  # the take sent while the second chunk runs
    finish, take = scripts[3][1][:-9], scripts[3][1][-9:]
    assert take == [
        "SET",  # the worker's last execution id, swapped for this one (a resent take answers its job)
        "LPOP",
        "HGETALL",
        "HMGET",  # our job's begin: status, request, mode, started_at, this host's pool (begun: no write)
        "HSET",  # RQ's execution
        "EXPIRE",
        "ZADD",  # the queue's started registry
        "SADD",  # the worker's executions (their TTL with the worker's heartbeat: at most once a second)
        "HSET",  # the RQ job: started
    ]
    assert finish == [
        "HMGET",  # our record: status, chunks_total, retries (the execution's attempt), what an end reads
        "HSETNX",  # the chunk (answer, CPU seconds, where it ran), once: the guard and the write in one
        "HINCRBY",  # chunks done
        "XADD",  # the execution, in the stream the chaos checker reads
        *RQ_FINISHED,
    ]
    assert 1 + len(take) + len(finish) == 20
    assert store.read(job_id).status == "finished"  # type: ignore[union-attr]


def test_a_canceled_job_is_not_started(queue: Queue, store: JobStore) -> None:
    job_id = submit(store, queue, 2)
    assert store.cancel(job_id) == "canceled"
    work(queue, store)
    record = store.read(job_id)
    assert record is not None
    assert (record.status, record.chunks_done, record.started_at, record.pool_processes) == (
        "canceled",
        0,
        None,
        {},
    )
    assert queue.connection.hlen(JobKeys.of(job_id).merged) == 0
    # The entries themselves ran (each found the job ended) and finished.
    assert len(queue.finished_job_registry.get_job_ids()) == 2


def test_a_chunk_delivered_twice_is_merged_once(queue: Queue, store: JobStore) -> None:
    job_id = submit(store, queue, 2)
    queue.connection.lpush(queue.key, entry_id(job_id, 0))  # chunk 0 handed out again, first
    worker = work(queue, store)
    assert worker.lean_jobs == 3
    record = store.read(job_id)
    assert record is not None and record.status == "finished"
    assert (record.tally.count, record.tally.histogram) == exact(2)
    assert (record.chunks_done, record.hosts) == (2, {HOST: 2})


def test_an_entry_whose_record_is_gone_fails_through_the_store(queue: Queue, store: JobStore) -> None:
    """The take leaves an entry without a record to RQ's own path; the job function's own begin says why."""
    job_id = submit(store, queue, 1)
    queue.connection.delete(JobKeys.of(job_id).record)
    work(queue, store)
    entry = entry_id(job_id, 0)
    assert queue.failed_job_registry.get_job_ids() == [entry]
    job = queue.fetch_job(entry)
    assert job is not None and "has no record" in job.latest_result().exc_string
    assert not queue.connection.exists(JobKeys.of(job_id).record)


def test_a_running_entry_of_ours_is_seen_by_rqs_tools_and_the_reaper(
    queue: Queue, store: JobStore, redis_client: redis.Redis
) -> None:
    """Between take and finish: what `rq info` and rq-dashboard read (the started registry, the worker's
    current job), and what worker.queue.reaper reads (the execution: its worker and start)."""
    job_id = submit(store, queue, 1)
    entry = entry_id(job_id, 0)
    worker = LeanWorker(
        [queue], connection=redis_client, serializer=JSONSerializer, own=OwnEntries(HOST, 1, store)
    )
    taken = worker.dequeue_job_and_maintain_ttl(timeout=None)
    assert taken is not None and taken[0].id == entry
    assert queue.started_job_registry.get_job_ids() == [entry]
    assert queue.started_job_registry.count == 1
    seen = Worker.find_by_key(worker.key, connection=redis_client, serializer=JSONSerializer)
    assert seen is not None and seen.get_state() == "busy"
    current = seen.get_current_job()
    assert current is not None and current.id == entry
    [(found_job, execution_id)] = queue.started_job_registry.get_job_and_execution_ids(cleanup=False)
    execution = Execution.fetch(execution_id, found_job, redis_client)
    assert (execution.worker_name, execution.job_id) == (worker.name, entry)
    assert store.read(job_id).status == "started"  # type: ignore[union-attr]
    worker.execute_job(*taken)
    assert store.read(job_id).status == "finished"  # type: ignore[union-attr]
    assert queue.started_job_registry.count == 0
    assert Worker.find_by_key(worker.key, connection=redis_client).get_current_job() is None  # type: ignore[union-attr]


def test_the_worker_counts_our_entries_with_its_heartbeat_while_busy(
    queue: Queue, store: JobStore, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lean, "BEAT_INTERVAL", 0.0)  # a heartbeat before every take
    submit(store, queue, 3)
    worker = LeanWorker(
        [queue], connection=redis_client, serializer=JSONSerializer, own=OwnEntries(HOST, 1, store)
    )
    counted = []
    for _ in range(3):
        taken = worker.dequeue_job_and_maintain_ttl(timeout=None)
        assert taken is not None
        counted.append(int(redis_client.hget(worker.key, "successful_job_count") or 0))
        worker.execute_job(*taken)
    assert counted == [0, 1, 2]  # each beat counted the entries finished before it
    assert redis_client.hget(worker.key, "state") == b"busy"


def test_a_merge_left_by_a_chunk_that_then_fails_is_merged_by_the_worker(
    queue: Queue, store: JobStore
) -> None:
    job_id = submit(store, queue, 1)
    entry = entry_id(job_id, 0)
    queue.connection.delete(queue.key)  # its entry, replaced by one that fails once its merge is left
    queue.enqueue(
        "tests.worker.queue.lean_jobs.leave_merge_then_fail", job_id, 0, LO, LO + CHUNK, job_id=entry
    )
    work(queue, store)
    assert queue.failed_job_registry.get_job_ids() == [entry]
    record = store.read(job_id)
    assert record is not None and record.status == "finished"
    assert (record.tally.count, record.tally.histogram, record.chunks_done) == (*exact(1), 1)


# What the end of a job sends (end_job, job_store_prelude.lua) after the record's one HSET.
JOB_END = [
    "HINCRBY",  # metrics: jobs ended by status
    "HINCRBY",  # the latency histogram's bucket ...
    "HINCRBYFLOAT",  # ... and sum
    "HINCRBY",  # the run-time histogram's bucket ...
    "HINCRBYFLOAT",  # ... and sum
    "DECRBY",  # the admitted entries ...
    "DECRBY",  # ... and units, released
    "HDEL",
]
# ... and after the merged hash's DEL (a split job's), its TTL, its id and its end made known.
JOB_ENDED = [
    "EXPIRE",  # the record, the job's one key kept
    "RPUSH",  # ENDED_IDS (its length: whether to trim)
    "XADD",  # the end and the chunk's execution, one entry in the checker's stream
    "INFO",  # memory pressure: whether to trim
    "PUBLISH",  # watchers
]


def test_the_commands_of_a_job_of_one_chunk(
    redis_url: str, queue: Queue, store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exact: a job of one chunk (`make bench`'s "ours"), the second of two in a row (the worker busy
    already): its take begins it, its only finish ends it, with no merged hash."""
    monkeypatch.setattr(lean, "BEAT_INTERVAL", 3600.0)
    submit(store, queue, 1)
    job_id = submit(store, queue, 1)
    with monitored(redis_url) as seen:
        work(queue, store)
    scripts = [(command.split()[1], ran) for command, ran in calls(seen) if command.startswith("EVALSHA ")]
    # A take, per job a finish that takes the next, then a take that finds the queue empty. The second
    # job's take rides on the first job's finish; a take sent while it runs finds nothing; its own finish
    # ends with a take that finds nothing.
    assert len(scripts) == 5 and scripts[2][1] == ["SET", "LPOP"]
    finish, empty = scripts[3][1][:-2], scripts[3][1][-2:]
    assert empty == ["SET", "LPOP"] and scripts[1][1][: len(finish)] == finish
    take = scripts[1][1][len(finish) :]
    assert take == [
        "SET",
        "LPOP",
        "HGETALL",
        "HMGET",  # our job's begin ...
        "HSET",  # ... its first start: started_at, this host's pool, status
        "HSET",  # RQ's execution
        "EXPIRE",
        "ZADD",
        "SADD",
        "HSET",  # the RQ job: started
    ]
    assert finish == [
        "HMGET",  # our record: status, chunks_total, retries, and what the end reads (id, share, metrics')
        "HSET",  # the answer, CPU seconds, where it ran, status and ended_at: the record's one write
        *JOB_END,
        *JOB_ENDED,
        *RQ_FINISHED,
    ]
    assert 1 + len(take) + len(finish) == 32
    record = store.read(job_id)
    assert record is not None and record.status == "finished"
    assert (record.tally.count, record.tally.histogram, record.chunks_done) == (*exact(1), 1)
    assert record.hosts == {HOST: 1} and record.cpu_seconds > 0
    assert not queue.connection.exists(JobKeys.of(job_id).merged)
    entries = [fields for _, fields in queue.connection.xrange(EXECUTIONS)]
    ended = [e for e in entries if e.get(b"job") == job_id.encode()]
    assert [(e[b"ended"], e[b"chunk"], e[b"effect"]) for e in ended] == [(b"finished", b"0", b"1")]


def test_the_commands_of_the_chunk_that_ends_its_job(
    redis_url: str, queue: Queue, store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exact: what the last chunk's finish sends besides a middle chunk's: the job's end (`make bench`'s
    "last" row), its chunks folded into the record from the merged hash."""
    monkeypatch.setattr(lean, "BEAT_INTERVAL", 3600.0)
    job_id = submit(store, queue, 2)
    with monitored(redis_url) as seen:
        work(queue, store)
    scripts = [(command.split()[1], ran) for command, ran in calls(seen) if command.startswith("EVALSHA ")]
    # A take, the first chunk's finish that takes the last, a take sent while it runs that finds nothing,
    # then the last chunk's finish, with its take that finds the queue empty.
    assert scripts[2][1] == ["SET", "LPOP"]
    finish, empty = scripts[3][1][:-2], scripts[3][1][-2:]
    assert empty == ["SET", "LPOP"]
    assert finish == [
        "HMGET",
        "HSETNX",
        "HINCRBY",  # chunks done: the last
        "HVALS",  # the chunks: answers, CPU seconds, where they ran, folded ...
        "HSET",  # ... into the record, with its status and ended_at
        *JOB_END,
        "DEL",  # the merged hash
        *JOB_ENDED,
        *RQ_FINISHED,
    ]
    record = store.read(job_id)
    assert record is not None and record.status == "finished"
    assert (record.tally.count, record.tally.histogram, record.chunks_done) == (*exact(2), 2)
    assert record.hosts == {HOST: 2} and len(record.pids) == 1 and record.cpu_seconds > 0
    entries = [fields for _, fields in queue.connection.xrange(EXECUTIONS)]
    ended = [e for e in entries if e.get(b"job") == job_id.encode() and b"ended" in e]
    assert [(e[b"ended"], e[b"chunk"], e[b"effect"]) for e in ended] == [(b"finished", b"1", b"1")]


def test_jobs_taken_ahead_are_given_back_when_the_loop_ends_before_them(
    queue: Queue, store: JobStore
) -> None:
    """`work(max_jobs=1)`: the first chunk's finish took the second chunk ahead, and a take sent while it
    would run took the third; RQ's loop ends before running either. Teardown reads that take's reply and
    gives both back, in order, at the front of their queue, not started, in no worker's index; another
    worker then runs them and the job ends exact."""
    job_id = submit(store, queue, 3)
    worker = LeanWorker(
        [queue], connection=queue.connection, serializer=JSONSerializer, own=OwnEntries(HOST, 1, store)
    )
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker.work(burst=True, max_jobs=1)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    later = [entry_id(job_id, 1), entry_id(job_id, 2)]
    assert worker.lean_jobs == 1 and not worker._ahead and worker._taking is None
    assert queue.get_job_ids() == later
    assert queue.started_job_registry.count == 0
    assert queue.connection.smembers(worker.executions_key) == set()
    assert [queue.fetch_job(e).get_status() for e in later] == ["queued", "queued"]  # type: ignore[union-attr]
    assert store.read(job_id).status == "started"  # type: ignore[union-attr]
    work(queue, store)
    record = store.read(job_id)
    assert record is not None and record.status == "finished"
    assert (record.tally.count, record.tally.histogram, record.chunks_done) == (*exact(3), 3)


class StoppedDuringItsFirstJob(LeanWorker):
    """A worker sent SIGTERM (as by `docker stop`) while its first job runs."""

    def execute_job(self, job, queue) -> None:  # type: ignore[no-untyped-def]
        if not self.lean_jobs:
            os.kill(os.getpid(), signal.SIGTERM)
        super().execute_job(job, queue)


def test_a_stop_asked_during_a_job_takes_nothing_ahead(redis_url: str, queue: Queue, store: JobStore) -> None:
    """The warm shutdown RQ promises: the running job finishes, and its finish takes no next job (the
    next stays queued, untouched, for another worker)."""
    job_id = submit(store, queue, 3)
    worker = StoppedDuringItsFirstJob(
        [queue], connection=queue.connection, serializer=JSONSerializer, own=OwnEntries(HOST, 1, store)
    )
    scripts = {sha: name for name, sha in worker.script_shas().items()}
    with monitored(redis_url) as seen:
        burst(worker)
    names = [scripts.get(c.split()[1], "other") for c, _ in calls(seen) if c.startswith("EVALSHA ")]
    assert names == ["take", "finish_ours"]
    assert worker.lean_jobs == 1 and worker._stop_requested
    assert queue.get_job_ids() == [entry_id(job_id, 1), entry_id(job_id, 2)]
    assert queue.started_job_registry.count == 0
    statuses = [queue.fetch_job(entry_id(job_id, i)).get_status() for i in (1, 2)]  # type: ignore[union-attr]
    assert statuses == ["queued", "queued"]
    work(queue, store)
    assert store.read(job_id).status == "finished"  # type: ignore[union-attr]
