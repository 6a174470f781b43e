"""Dependencies injected into routes: the Redis connection and the job queue."""

from typing import Annotated

from fastapi import Depends, Request
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from shared.settings import get_settings


def get_redis(request: Request) -> Redis:
    """The connection opened at start-up."""
    return request.app.state.redis


def get_queue(redis: Annotated[Redis, Depends(get_redis)]) -> Queue:
    """The RQ queue that whole jobs go to."""
    return Queue(get_settings().queue_name, connection=redis, serializer=JSONSerializer)


RedisDep = Annotated[Redis, Depends(get_redis)]
QueueDep = Annotated[Queue, Depends(get_queue)]
