"""Submit, read and cancel jobs: POST /jobs, GET /jobs/{id}, POST /jobs/{id}/cancel."""

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response, status

from services.api.datasets import bind
from services.api.deps import EndedDep, QueueDep, StoreDep
from services.api.enqueue import enqueue
from services.api.job_ids import JobId
from services.api.responses import documented
from services.api.schemas import JobAccepted, JobView
from services.api.watch import WAIT_MAX_SECONDS
from shared import job_cancel
from shared.job_status import QUEUED
from shared.jobs import AnyJobSpec

router = APIRouter(prefix="/jobs", tags=["jobs"])


# For stateful clients (schemathesis): what a 202's id leads to.
_ACCEPTED_LINKS = {
    "GetJob": {"operationId": "get_job", "parameters": {"job_id": "$response.body#/id"}},
    "CancelJob": {"operationId": "cancel_job", "parameters": {"job_id": "$response.body#/id"}},
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    operation_id="submit_job",
    responses={
        202: {
            "links": _ACCEPTED_LINKS,
            "headers": {"Location": {"description": "the job's URL", "schema": {"type": "string"}}},
        },
        **documented(413, 422, 429, 503),
    },
)
def submit_job(
    spec: Annotated[AnyJobSpec, Body()],
    queue: QueueDep,
    store: StoreDep,
    request: Request,
    response: Response,
) -> JobAccepted:
    """Validate and enqueue one job; 202 with its URL in `Location`.

    `local` enqueues one job; `distributed` and `hybrid` enqueue one job per chunk. The record and
    every queue entry are written in one atomic step, so a job is either wholly accepted or not at all:
    not at all (429, with Retry-After) if it would take the work waiting past MAX_QUEUED_ENTRIES or
    MAX_QUEUED_UNITS. A `bytes` job on a dataset that does not exist is refused: 422
    `dataset_not_found`.
    """
    bind(store.redis, spec)
    job = enqueue(store, queue, [spec])[0]
    url = str(request.url_for("get_job", job_id=job.job_id).path)
    response.headers["Location"] = url
    chunks = None if job.plan.mode == "local" else job.plan.entry_count
    return JobAccepted(id=job.job_id, status=QUEUED, mode=spec.mode, url=url, chunks=chunks)


@router.get(
    "/{job_id:job_id}",
    response_model=JobView,
    name="get_job",
    operation_id="get_job",
    responses=documented(404, 422, 503),
)
async def get_job(
    job_id: JobId,
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
    record = await ended.wait_ended(job_id, wait)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job with id {job_id!r}")
    return JobView.from_record(record)


@router.post(
    "/{job_id:job_id}/cancel",
    response_model=JobView,
    operation_id="cancel_job",
    responses=documented(404, 409, 422, 503),
)
def cancel_job(job_id: JobId, store: StoreDep) -> JobView:
    """Cancel a queued or running job, and answer it as it is now: `canceled`, as GET shows it from then
    on. Running pool work stops early, queued chunks are skipped; the record stays (RESULT_TTL).

    404 if unknown; 409 if it had already ended (finished, failed or canceled before).
    """
    return JobView.from_record(job_cancel.cancel(store, job_id))
