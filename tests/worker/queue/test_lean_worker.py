"""worker.queue.lean.LeanWorker keeps RQ's records and guarantees: what RQ's own API reads after each job.

The worker runs in this process (burst mode) on the session's real redis-server, each test on its own
queue; the job functions are in tests/worker/queue/lean_jobs.py.
"""

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import redis
from rq import Queue, Retry
from rq.job import Job, JobStatus
from rq.rate_limit import RateLimit, RateLimitRegistry
from rq.serializers import JSONSerializer
from rq.utils import str_to_date, utcformat

from shared.redis_conn import connect
from tests.helpers import burst, monitored
from worker.queue.lean import LeanWorker, rq_date

pytestmark = pytest.mark.integration


def new_queue(redis_client: redis.Redis) -> Queue:
    return Queue(f"lean-{uuid.uuid4().hex[:8]}", connection=redis_client, serializer=JSONSerializer)


@pytest.fixture
def queue(redis_client: redis.Redis) -> Queue:
    return new_queue(redis_client)


def work(*queues: Queue) -> LeanWorker:
    """Run a LeanWorker on the queues here until they are empty (burst mode)."""
    return burst(LeanWorker(list(queues), connection=queues[0].connection, serializer=JSONSerializer))


def leftovers(queue: Queue) -> dict[str, int]:
    """What RQ would still consider in flight: started executions, the intermediate list, the queue."""
    r = queue.connection
    return {
        "started": r.zcard(queue.started_job_registry.key),
        "intermediate": r.llen(queue.intermediate_queue_key),
        "queued": r.llen(queue.key),
    }


def test_jobs_finish_with_rqs_records(queue: Queue) -> None:
    jobs = [queue.enqueue("tests.worker.queue.lean_jobs.add", i, 1000, result_ttl=600) for i in range(5)]
    worker = work(queue)
    assert worker.lean_jobs == 5
    for i, job in enumerate(jobs):
        fetched = Job.fetch(job.id, connection=queue.connection, serializer=JSONSerializer)
        assert fetched.get_status() == JobStatus.FINISHED
        assert fetched.return_value() == {"sum": i + 1000}
        assert fetched.worker_name == worker.name
        assert fetched.started_at is not None and fetched.ended_at >= fetched.started_at
        assert 0 < queue.connection.ttl(fetched.key) <= 600
    assert sorted(queue.finished_job_registry.get_job_ids()) == sorted(j.id for j in jobs)
    assert leftovers(queue) == {"started": 0, "intermediate": 0, "queued": 0}
    assert not queue.connection.keys(f"rq:execution:{jobs[0].id}:*")
    assert int(queue.connection.hget(worker.key, "successful_job_count")) == 5


def test_a_taken_job_holds_rqs_dates_and_the_workers_serializer(queue: Queue) -> None:
    """The take restores created_at and enqueued_at through rq_date, not RQ's strptime, and gives the job
    the worker's serializer, resolved once: the job the worker runs holds what RQ's own fetch reads, its
    dates to the microsecond, its meta read with JSON."""
    job = queue.enqueue("tests.worker.queue.lean_jobs.own_dates", result_ttl=600, meta={"asked": [1, "a"]})
    assert work(queue).lean_jobs == 1
    fetched = Job.fetch(job.id, connection=queue.connection, serializer=JSONSerializer)
    assert fetched.return_value() == {
        "created_at": utcformat(fetched.created_at),
        "enqueued_at": utcformat(fetched.enqueued_at),
        # The worker's own serializer (not RQ's default pickle), which read the meta back.
        "serializer": "rq.serializers.JSONSerializer",
        "meta": {"asked": [1, "a"]},
    }


@pytest.mark.parametrize(
    "written", ["2026-12-07T14:00:00.123456Z", "2026-12-07T14:00:00.000000Z", "2026-12-07T14:00:00Z"]
)
def test_rq_date_reads_what_rqs_str_to_date_reads(written: str) -> None:
    """Both of RQ's formats (its utcformat's, and the one without microseconds it still reads), and
    RQ's own utcformat of now: equal to rq.utils.str_to_date's, aware and in UTC. Fails if RQ changes
    how it writes dates."""
    now = utcformat(datetime.now(UTC)).encode()
    for raw in (written.encode(), now):
        assert rq_date(raw) == str_to_date(raw)
        assert rq_date(raw).utcoffset() == str_to_date(raw).utcoffset() == timedelta(0)


def test_a_failing_job_is_retried_by_rq_then_lands_in_the_failed_registry(queue: Queue) -> None:
    counter = f"lean-runs-{uuid.uuid4().hex}"
    job = queue.enqueue("tests.worker.queue.lean_jobs.count_runs_then_fail", counter, retry=Retry(max=2))
    work(queue)
    assert int(queue.connection.get(counter)) == 3  # the first run and 2 retries
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert job.retries_left == 0
    assert queue.failed_job_registry.get_job_ids() == [job.id]
    assert "ValueError: this job always fails" in job.latest_result().exc_string
    assert leftovers(queue) == {"started": 0, "intermediate": 0, "queued": 0}


def test_a_job_over_its_timeout_is_stopped_by_rqs_death_penalty(queue: Queue) -> None:
    job = queue.enqueue("tests.worker.queue.lean_jobs.sleep", 5, job_timeout=1)
    work(queue)
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert "JobTimeoutException" in job.latest_result().exc_string
    assert queue.failed_job_registry.get_job_ids() == [job.id]
    assert (job.ended_at - job.started_at).total_seconds() < 3


def test_dependents_and_callbacks_go_through_rqs_own_code(queue: Queue) -> None:
    first = queue.enqueue("tests.worker.queue.lean_jobs.add", 1, 2)
    second = queue.enqueue("tests.worker.queue.lean_jobs.add", 3, 4, depends_on=first)
    worker = work(queue)
    assert first.return_value(refresh=True) == {"sum": 3}
    assert second.return_value(refresh=True) == {"sum": 7}
    # The first job has a dependent: the finish script refuses it and RQ's handle_job_success enqueues
    # the dependent; the second job finishes on the lean path.
    assert worker.lean_jobs == 1
    assert leftovers(queue) == {"started": 0, "intermediate": 0, "queued": 0}
    # As RQ's Job.cleanup: the finished job's set of dependencies expires with the job.
    assert 0 < queue.connection.ttl(second.dependencies_key) <= queue.connection.ttl(second.key)


def test_a_rate_limited_job_frees_its_slot_through_rqs_own_code(queue: Queue) -> None:
    limit = RateLimit(f"lean-limit-{uuid.uuid4().hex[:8]}", concurrency=1)
    first = queue.enqueue("tests.worker.queue.lean_jobs.add", 1, 1, rate_limit=limit)
    second = queue.enqueue("tests.worker.queue.lean_jobs.add", 2, 2, rate_limit=limit)
    assert second.get_status(refresh=True) == JobStatus.RATE_LIMITED  # waits for the first one's slot
    worker = work(queue)
    assert first.return_value(refresh=True) == {"sum": 2}
    assert second.return_value(refresh=True) == {"sum": 4}, "the first job never freed its slot"
    assert worker.lean_jobs == 0
    registry = RateLimitRegistry.from_job(second)
    assert (registry.get_allowed_job_ids(), registry.get_rate_limited_job_ids()) == ([], [])


def test_an_id_whose_job_hash_expired_is_skipped(queue: Queue) -> None:
    gone = queue.enqueue("tests.worker.queue.lean_jobs.add", 0, 0)
    kept = queue.enqueue("tests.worker.queue.lean_jobs.add", 2, 2)
    queue.connection.delete(gone.key)
    worker = work(queue)
    assert worker.lean_jobs == 1
    assert kept.return_value(refresh=True) == {"sum": 4}
    assert leftovers(queue) == {"started": 0, "intermediate": 0, "queued": 0}


def test_several_queues_are_taken_in_priority_order(redis_client: redis.Redis) -> None:
    high, low = new_queue(redis_client), new_queue(redis_client)
    ran = f"lean-order-{uuid.uuid4().hex}"
    # Enqueued low first: the worker's order of queues decides, not the order of arrival.
    jobs = [low.enqueue("tests.worker.queue.lean_jobs.record", ran, f"low-{i}") for i in range(2)]
    jobs += [high.enqueue("tests.worker.queue.lean_jobs.record", ran, f"high-{i}") for i in range(2)]
    worker = work(high, low)
    assert [label.decode() for label in redis_client.lrange(ran, 0, -1)] == [
        "high-0",
        "high-1",
        "low-0",
        "low-1",
    ]
    assert worker.lean_jobs == 4
    for job in jobs:
        assert job.get_status(refresh=True) == JobStatus.FINISHED
        assert job.id in Queue(job.origin, connection=redis_client).finished_job_registry.get_job_ids()
    for queue in (high, low):
        assert leftovers(queue) == {"started": 0, "intermediate": 0, "queued": 0}


@pytest.mark.parametrize("arrives_on", [0, 1], ids=["first-queue", "second-queue"])
def test_a_blocking_worker_wakes_for_a_job_in_either_queue(
    redis_client: redis.Redis, arrives_on: int
) -> None:
    queues = [new_queue(redis_client), new_queue(redis_client)]
    worker = LeanWorker(queues, connection=redis_client, serializer=JSONSerializer)
    enqueued: list[Job] = []
    late = threading.Timer(
        0.5, lambda: enqueued.append(queues[arrives_on].enqueue("tests.worker.queue.lean_jobs.add", 1, 2))
    )
    started = time.monotonic()
    late.start()
    try:
        taken = worker.dequeue_job_and_maintain_ttl(timeout=10)
    finally:
        late.join()
    waited = time.monotonic() - started
    assert taken is not None, "the worker never woke up"
    job, queue = taken
    assert 0.4 < waited < 5, waited
    assert (job.id, queue.name) == (enqueued[0].id, queues[arrives_on].name)
    # Started by the take script, as RQ would have it before the job runs.
    assert job.get_status(refresh=True) == JobStatus.STARTED
    assert job.id in queue.started_job_registry.get_job_ids()
    worker.execute_job(job, queue)
    assert job.return_value(refresh=True) == {"sum": 3}
    for each in queues:
        assert leftovers(each) == {"started": 0, "intermediate": 0, "queued": 0}


@pytest.mark.parametrize("queue_count", [1, 3])
def test_one_take_script_call_per_job(redis_url: str, redis_client: redis.Redis, queue_count: int) -> None:
    """The take is one script call per job however many queues; nothing pops a queue outside it."""
    queues = [new_queue(redis_client) for _ in range(queue_count)]
    for i in range(4):
        queues[-1].enqueue("tests.worker.queue.lean_jobs.add", i, 0)
    sha = LeanWorker(queues, connection=redis_client).script_shas()["take"]
    with monitored(redis_url) as seen:
        worker = work(*queues)
    assert worker.lean_jobs == 4
    ours = [c["command"] for c in seen if c["client_address"] != "lua"]
    takes = [c for c in ours if c.startswith(f"EVALSHA {sha} ")]
    assert len(takes) == 4 + 1  # one per job, and the one that finds every queue empty (burst mode)
    pops = [c for c in ours if c.split()[0] in ("LMOVE", "BLMOVE", "LPOP", "BLPOP", "RPOPLPUSH")]
    assert pops == []


def test_a_taken_job_that_never_runs_is_failed_by_rqs_started_registry_cleanup(queue: Queue) -> None:
    """The take script dequeues and starts in one step: a job taken by a worker that never runs it is in
    the StartedJobRegistry (not left `queued` in the intermediate list, as between RQ's two steps), and
    RQ's clean-up of that registry fails it once its execution has expired."""
    job = queue.enqueue("tests.worker.queue.lean_jobs.add", 1, 2)
    with mock.patch.object(LeanWorker, "execute_job"):
        work(queue)
    assert job.get_status(refresh=True) == JobStatus.STARTED
    assert leftovers(queue) == {"started": 1, "intermediate": 0, "queued": 0}
    queue.started_job_registry.cleanup(timestamp=time.time() + 3600)  # an hour on: its execution expired
    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert queue.failed_job_registry.get_job_ids() == [job.id]
    assert leftovers(queue) == {"started": 0, "intermediate": 0, "queued": 0}


def test_a_take_sent_again_after_its_reply_was_lost_answers_the_job_it_took(
    redis_client: redis.Redis,
) -> None:
    """Issue 24's job stuck `started` after Redis was SIGKILLed mid-stream: the take script ran, its reply
    was lost with the connection, and the worker's ride-out retry (redis-py's, at the connection layer)
    sent it again, which took the *next* job. The first stayed started under a live worker, run by
    nobody, so the reaper (which reclaims dead workers' jobs) never handed it back. Here the reply of
    the first take is read and then lost, as the kill loses it; the retry must answer the same job."""
    url = "redis://{host}:{port}/0".format(**redis_client.connection_pool.connection_kwargs)
    connection = connect(url, 5, ride_out_seconds=5)
    queue = new_queue(connection)
    first, second = (queue.enqueue("tests.worker.queue.lean_jobs.add", i, 1) for i in range(2))
    worker = LeanWorker([queue], connection=connection, serializer=JSONSerializer)
    parse = redis.Redis.parse_response
    lost: list[str] = []

    def reply_lost_once(client: redis.Redis, conn: object, command_name: str, **options: object) -> object:
        reply = parse(client, conn, command_name, **options)
        if command_name == "EVALSHA" and not lost:
            lost.append(command_name)
            raise redis.exceptions.ConnectionError("reply lost: the connection closed")
        return reply

    with mock.patch.object(redis.Redis, "parse_response", reply_lost_once):
        job, _ = worker._start([queue])
    assert lost == ["EVALSHA"]  # the take ran, its reply was lost, and it was sent again
    assert job.id == first.id
    assert leftovers(queue) == {"started": 1, "intermediate": 0, "queued": 1}
    assert queue.get_job_ids() == [second.id]
