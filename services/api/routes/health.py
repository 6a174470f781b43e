"""Liveness and readiness: the API is up and Redis answers; how many worker containers are ready."""

from fastapi import APIRouter

from services.api.admission import queued
from services.api.deps import RedisDep
from services.api.responses import documented
from services.api.schemas import HealthView
from shared.worker_reports import read_reports

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthView, responses=documented(503))
def health(redis: RedisDep) -> HealthView:
    """200 when Redis answers (503 otherwise, from the Redis error handler), whether or not any worker is
    ready: the API itself is healthy either way. `workers_ready` counts the worker containers whose every
    process is registered with RQ and has its pool whole (`ready` in GET /workers); with 0, jobs are
    accepted but wait in the queue until a worker starts, and `status` says `degraded` while any accepted
    work is waiting so."""
    reports = read_reports(redis)
    ready = sum(r["ready"] for r in reports)
    waiting, _units = queued(redis)
    status = "degraded" if waiting and not ready else "ok"
    return HealthView(status=status, redis="ok", workers=len(reports), workers_ready=ready)
