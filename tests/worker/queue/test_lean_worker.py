"""worker.queue.lean.LeanWorker keeps RQ's records and guarantees: what RQ's own API reads after each job.

The worker runs in this process (burst mode) on the session's real redis-server, each test on its own
queue; the job functions are in tests/worker/queue/lean_jobs.py.
"""

import signal
import uuid

import pytest
import redis
from rq import Queue, Retry
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from worker.queue.lean import LeanWorker

pytestmark = pytest.mark.integration


@pytest.fixture
def queue(redis_client: redis.Redis) -> Queue:
    return Queue(f"lean-{uuid.uuid4().hex[:8]}", connection=redis_client, serializer=JSONSerializer)


def work(queue: Queue) -> LeanWorker:
    """Run a LeanWorker here until the queue is empty (burst mode)."""
    # RQ installs its SIGTERM/SIGINT handlers for good: put ours back, or every process this test
    # session forks later (a Pool's) would run RQ's warm shutdown on SIGTERM instead of exiting.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    worker = LeanWorker([queue], connection=queue.connection, serializer=JSONSerializer)
    try:
        worker.work(burst=True)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    return worker


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


def test_an_id_whose_job_hash_expired_is_skipped(queue: Queue) -> None:
    gone = queue.enqueue("tests.worker.queue.lean_jobs.add", 0, 0)
    kept = queue.enqueue("tests.worker.queue.lean_jobs.add", 2, 2)
    queue.connection.delete(gone.key)
    worker = work(queue)
    assert worker.lean_jobs == 1
    assert kept.return_value(refresh=True) == {"sum": 4}
    assert leftovers(queue) == {"started": 0, "intermediate": 0, "queued": 0}
