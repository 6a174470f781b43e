"""JobStore.wait_ended: a watcher is woken by the job's end, whichever way it ends, with one blocking read.

Real redis-server (the session's, and a dedicated one where every command is counted with MONITOR).
"""

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
import redis

from services.tools.local_stack import redis_server
from shared.job_store import WAIT_MAX_SECONDS, JobKeys, JobStore
from shared.redis_conn import connect, connect_blocking
from shared.tally import Tally
from tests.helpers import blocked_readers, client_address, monitored, wait_for

pytestmark = pytest.mark.integration

SPEC = {"kernel": "primes", "params": {"start": 0, "stop": 1000}}
TTL = 600
# A woken watcher returns within milliseconds; one that was not woken blocks WAIT_MAX_SECONDS. Waiting
# for it half that long tells the two apart without any tight timing.
GUARD = WAIT_MAX_SECONDS / 2


@pytest.fixture(scope="module")
def blocking(redis_url: str) -> Iterator[redis.Redis]:
    client = connect_blocking(redis_url, 10, WAIT_MAX_SECONDS)
    yield client
    client.close()


@pytest.fixture
def store(redis_client: redis.Redis, blocking: redis.Redis) -> JobStore:
    return JobStore(redis_client, TTL, blocking=blocking)


@pytest.fixture
def watchers() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(4) as pool:
        yield pool


def _new_job(store: JobStore, mode: str = "local", chunks_total: int = 0) -> str:
    job_id = f"wait-{uuid.uuid4().hex}"
    store.create(job_id, SPEC, mode, chunk_size=500, chunks_total=chunks_total, chunking="fixed")
    return job_id


def _tally(count: int) -> Tally:
    return Tally(count, [count] + [0] * 9)


def _watch(pool: ThreadPoolExecutor, store: JobStore, job_id: str, count: int = 1) -> list[Future]:
    """`count` watchers of the job, each blocked in its XREAD (none sees the end in its first read)."""
    before = blocked_readers(store.redis)
    futures = [pool.submit(store.wait_ended, job_id, WAIT_MAX_SECONDS) for _ in range(count)]
    wait_for(lambda: blocked_readers(store.redis) >= before + count or None, 10, f"{count} blocked watchers")
    return futures


def _finish_local(store: JobStore, job_id: str) -> None:
    store.begin(job_id, "here", 2)
    assert store.finish_local(job_id, _tally(7), 0.5, "here", 4)


def _fail(store: JobStore, job_id: str) -> None:
    store.begin(job_id, "here", 2)
    assert store.fail(job_id, "ValueError: boom", "Traceback ...")


def _cancel(store: JobStore, job_id: str) -> None:
    assert store.cancel(job_id) == "canceled"


ENDINGS: dict[str, tuple[Callable[[JobStore, str], None], str]] = {
    "finish_local": (_finish_local, "finished"),
    "fail": (_fail, "failed"),
    "cancel": (_cancel, "canceled"),
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_watcher_is_woken_when_a_local_job_ends(
    store: JobStore, watchers: ThreadPoolExecutor, ending: str
) -> None:
    end, status = ENDINGS[ending]
    job_id = _new_job(store)
    (watcher,) = _watch(watchers, store, job_id)
    assert not watcher.done()
    end(store, job_id)
    record = watcher.result(GUARD)
    assert record == store.read(job_id)
    assert record.status == status
    if status == "finished":
        assert record.tally.count == 7
    if status == "failed":
        assert record.error == "ValueError: boom"
    # The end is signalled once, and the signal expires as the record's helper keys do.
    keys = JobKeys.of(job_id)
    assert [fields for _, fields in store.redis.xrange(keys.ended)] == [{b"status": status.encode()}]
    assert 0 < store.redis.ttl(keys.ended) <= TTL


def test_every_watcher_is_woken_by_the_last_chunk_merged(
    store: JobStore, watchers: ThreadPoolExecutor
) -> None:
    job_id = _new_job(store, "distributed", chunks_total=3)
    for index in (0, 1):
        assert store.merge_chunk(job_id, index, _tally(index + 1), 0.1, "here", [11]) == index + 1
    futures = _watch(watchers, store, job_id, count=3)
    # A chunk merged twice does not end the job: the watchers stay blocked.
    assert store.merge_chunk(job_id, 1, _tally(2), 0.1, "here", [11]) == -1
    assert store.merge_chunk(job_id, 2, _tally(3), 0.1, "here", [12]) == 3
    records = [f.result(GUARD) for f in futures]
    assert [r.status for r in records] == ["finished"] * 3
    assert all(r.tally.count == 6 for r in records)
    assert records[0].chunks_done == 3


def test_a_chunk_that_does_not_end_the_job_does_not_signal(store: JobStore) -> None:
    job_id = _new_job(store, "distributed", chunks_total=2)
    assert store.merge_chunk(job_id, 0, _tally(1), 0.1, "here") == 1
    assert not store.redis.exists(JobKeys.of(job_id).ended)
    # Nor does a failed end: a cancel after the answer changes nothing, and signals nothing more.
    assert store.merge_chunk(job_id, 1, _tally(1), 0.1, "here") == 2
    assert store.cancel(job_id) == "finished"
    assert store.redis.xlen(JobKeys.of(job_id).ended) == 1


def _xread_calls(client: redis.Redis) -> int:
    return int(client.info("commandstats").get("cmdstat_xread", {}).get("calls", 0))


def test_a_wait_on_an_ended_job_returns_the_ended_view_without_blocking(store: JobStore) -> None:
    job_id = _new_job(store)
    _cancel(store, job_id)
    before = _xread_calls(store.redis)
    record = store.wait_ended(job_id, WAIT_MAX_SECONDS)
    assert record is not None and record.status == "canceled"
    assert _xread_calls(store.redis) == before


def test_a_wait_on_an_unknown_job_is_none_without_blocking(store: JobStore) -> None:
    before = _xread_calls(store.redis)
    assert store.wait_ended("wait-no-such-job", WAIT_MAX_SECONDS) is None
    assert _xread_calls(store.redis) == before


def test_a_job_that_does_not_end_gives_its_active_view_after_the_wait(store: JobStore) -> None:
    job_id = _new_job(store)
    store.begin(job_id, "here", 2)
    store.set_progress(job_id, 1)
    before = _xread_calls(store.redis)
    # Longer than redis-py's default socket timeout (5 s): the blocking client must outlast it.
    record = store.wait_ended(job_id, 6)
    assert record is not None
    assert (record.status, record.chunks_done) == ("started", 1)
    assert _xread_calls(store.redis) == before + 1
    assert store.status(job_id) == "started"


def test_a_wait_of_zero_reads_once(store: JobStore) -> None:
    job_id = _new_job(store)
    before = _xread_calls(store.redis)
    assert store.wait_ended(job_id, 0).status == "queued"
    assert _xread_calls(store.redis) == before


@pytest.mark.parametrize("seconds", [-1, WAIT_MAX_SECONDS + 1])
def test_a_wait_outside_the_allowed_range_is_refused(store: JobStore, seconds: float) -> None:
    with pytest.raises(ValueError):
        store.wait_ended(_new_job(store), seconds)


def test_a_store_without_a_blocking_client_refuses_to_wait(redis_client: redis.Redis) -> None:
    store = JobStore(redis_client, TTL)
    with pytest.raises(RuntimeError):
        store.wait_ended(_new_job(store), 1)


@pytest.fixture(scope="module")
def quiet_server() -> Iterator[str]:
    """A redis-server of its own: no worker or other test sends it anything while MONITOR counts."""
    with redis_server() as url:
        yield url


def _commands_of_one_wait(url: str, seconds: float, end: bool) -> list[str]:
    """The commands a watcher sent during one wait_ended (`end`: the job ends while it waits)."""
    main, blocking = connect(url, 10), connect_blocking(url, 10, WAIT_MAX_SECONDS)
    control = redis.Redis.from_url(url)
    store, ender = JobStore(main, TTL, blocking=blocking), JobStore(control, TTL)
    job_id = _new_job(ender)
    ours = client_address(control)
    try:
        with monitored(url) as seen, ThreadPoolExecutor(1) as pool:
            watcher = pool.submit(store.wait_ended, job_id, seconds)
            if end:
                wait_for(lambda: blocked_readers(control) == 1 or None, 10, "a blocked watcher")
                _cancel(ender, job_id)
            record = watcher.result(GUARD)
        assert record.status == ("canceled" if end else "queued")
    finally:
        for client in (main, blocking, control):
            client.close()
    sent = [c for c in seen if c["client_type"] != "lua" and (c["client_address"], c["client_port"]) != ours]
    return [c["command"].split()[0].upper() for c in sent]


def test_a_watcher_sends_the_same_few_commands_however_long_it_waits(quiet_server: str) -> None:
    short = _commands_of_one_wait(quiet_server, 0.2, end=False)
    long = _commands_of_one_wait(quiet_server, 3, end=False)
    # A poll every 10 ms would send ~20 commands in the short wait and ~300 in the long one.
    assert short == long
    assert _commands_of_one_wait(quiet_server, WAIT_MAX_SECONDS, end=True) == short
    # One read (a pipeline), one blocking XREAD, one read again: nothing in between.
    assert short.count("XREAD") == 1
    read = short[: short.index("XREAD")]
    assert short == [*read, "XREAD", *read]
    assert len(read) <= 5, short
