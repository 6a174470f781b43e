"""Liveness and readiness: the API is up and Redis answers."""

from fastapi import APIRouter

from services.api.deps import RedisDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(redis: RedisDep) -> dict[str, str]:
    """200 when Redis answers PING (503 otherwise, from the Redis error handler)."""
    redis.ping()
    return {"status": "ok", "redis": "ok"}
