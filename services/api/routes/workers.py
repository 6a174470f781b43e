"""GET /workers: what each worker container reports about itself (CPU from its own cgroup)."""

from fastapi import APIRouter

from services.api.deps import RedisDep
from services.api.responses import documented
from services.api.schemas import WorkerView
from shared.worker_reports import read_reports

router = APIRouter(tags=["workers"])


@router.get("/workers", response_model=list[WorkerView], responses=documented(503))
def list_workers(redis: RedisDep) -> list[WorkerView]:
    """Live worker containers (those that reported in the last few seconds), by hostname; a container
    running several worker processes (WORKER_CONSUMERS) is one entry, their reports merged."""
    return [WorkerView(**report) for report in read_reports(redis)]
