"""Dependencies injected into routes: the Redis connection, the job queue, the job store, the waits."""

from typing import Annotated

from fastapi import Depends, Request
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from services.api.watch import EndedJobs
from shared.job_store import JobStore
from shared.settings import get_settings


def get_redis(request: Request) -> Redis:
    """The connection opened at start-up."""
    return request.app.state.redis


def get_queue(redis: Annotated[Redis, Depends(get_redis)]) -> Queue:
    """The RQ queue that jobs and chunk jobs go to."""
    return Queue(get_settings().queue_name, connection=redis, serializer=JSONSerializer)


def get_store(request: Request) -> JobStore:
    """Job records: status, progress, answers (the store made at start-up)."""
    return request.app.state.store


def get_ended(request: Request) -> EndedJobs:
    """The process's subscription to job ends: what GET /jobs/{id}?wait= waits on (watch.py)."""
    return request.app.state.ended


RedisDep = Annotated[Redis, Depends(get_redis)]
QueueDep = Annotated[Queue, Depends(get_queue)]
StoreDep = Annotated[JobStore, Depends(get_store)]
EndedDep = Annotated[EndedJobs, Depends(get_ended)]
