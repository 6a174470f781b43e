"""Dependencies injected into routes: the Redis connection, the job queue and the job store."""

from typing import Annotated

from fastapi import Depends, Request
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from shared.job_store import JobStore
from shared.settings import get_settings


def get_redis(request: Request) -> Redis:
    """The connection opened at start-up."""
    return request.app.state.redis


def get_queue(redis: Annotated[Redis, Depends(get_redis)]) -> Queue:
    """The RQ queue that jobs and chunk jobs go to."""
    return Queue(get_settings().queue_name, connection=redis, serializer=JSONSerializer)


def get_store(redis: Annotated[Redis, Depends(get_redis)], request: Request) -> JobStore:
    """Job records: status, progress, answers; long polls block on the connection pool kept for them."""
    return JobStore(redis, get_settings().result_ttl, blocking=request.app.state.blocking_redis)


RedisDep = Annotated[Redis, Depends(get_redis)]
QueueDep = Annotated[Queue, Depends(get_queue)]
StoreDep = Annotated[JobStore, Depends(get_store)]
