"""Submit, read and cancel jobs: POST /jobs, GET /jobs/{id}, DELETE /jobs/{id}."""

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response, status

from services.api.deps import EndedDep, QueueDep, StoreDep
from services.api.enqueue import enqueue
from services.api.schemas import QUEUE_FULL, JobAccepted, JobView
from shared.job_store import WAIT_MAX_SECONDS
from shared.jobs import JobSpec

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=JobAccepted, responses=QUEUE_FULL)
def submit_job(
    spec: Annotated[JobSpec, Body()], queue: QueueDep, store: StoreDep, request: Request, response: Response
) -> JobAccepted:
    """Validate and enqueue one job; 202 with its URL in `Location`.

    `local` enqueues one job; `distributed` and `hybrid` enqueue one job per chunk. The record and
    every queue entry are written in one atomic step, so a job is either wholly accepted or not at all:
    not at all (429, with Retry-After) if it would take the work waiting past MAX_QUEUED_ENTRIES or
    MAX_QUEUED_UNITS.
    """
    job = enqueue(store, queue, [spec])[0]
    url = str(request.url_for("get_job", job_id=job.job_id).path)
    response.headers["Location"] = url
    return JobAccepted(
        id=job.job_id, status="queued", mode=spec.mode, url=url, chunks=len(job.chunks) or None
    )


@router.get("/{job_id}", response_model=JobView, name="get_job")
async def get_job(
    job_id: str,
    ended: EndedDep,
    wait: Annotated[
        float, Query(ge=0, le=WAIT_MAX_SECONDS, description="seconds to wait for the job to end")
    ] = 0,
) -> JobView:
    """The job's status and progress, and its answer once finished; 404 if unknown.

    With `wait`, answers as soon as the job has ended or `wait` seconds have passed: one long poll
    instead of many short ones. The job's end wakes it (the API's one subscription to job ends,
    services/api/watch.py): while it waits, a watcher holds no thread and no Redis connection, and
    sends Redis nothing.
    """
    view = await ended.wait_ended(job_id, wait)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job with id {job_id!r}")
    return JobView(**view)


@router.delete("/{job_id}", response_model=JobView)
def cancel_job(job_id: str, store: StoreDep) -> JobView:
    """Cancel a queued or running job: running pool work stops early, queued chunks are skipped.

    404 if unknown; 409 if it had already ended (finished, failed or canceled before).
    """
    before = store.read(job_id)
    if before is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job with id {job_id!r}")
    if store.cancel(job_id) != "canceled" or before["status"] == "canceled":
        raise HTTPException(status.HTTP_409_CONFLICT, f"job {job_id!r} has already ended: {before['status']}")
    view = store.read(job_id)
    assert view is not None
    return JobView(**view)
