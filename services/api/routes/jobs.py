"""Submit jobs and read their status: POST /jobs, GET /jobs/{id}."""

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Request, Response, status
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from services.api.deps import QueueDep, RedisDep
from services.api.schemas import JobAccepted, JobView
from shared.jobs import JobSpec
from shared.settings import get_settings

router = APIRouter(prefix="/jobs", tags=["jobs"])

# The worker's job function, named by its import path: the API never imports worker code.
JOB_FUNCTION = "worker.tasks.run_job"


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=JobAccepted)
def submit_job(
    spec: Annotated[JobSpec, Body()], queue: QueueDep, request: Request, response: Response
) -> JobAccepted:
    """Validate and enqueue one job; 202 with its URL in `Location`."""
    settings = get_settings()
    job = queue.enqueue(
        JOB_FUNCTION,
        spec.model_dump(),
        job_timeout=settings.job_timeout,
        result_ttl=settings.result_ttl,
        failure_ttl=settings.result_ttl,
        description=f"{spec.kernel} {spec.params.model_dump()}",
    )
    url = str(request.url_for("get_job", job_id=job.id).path)
    response.headers["Location"] = url
    return JobAccepted(id=job.id, status=job.get_status(refresh=False).value, url=url)


@router.get("/{job_id}", response_model=JobView, name="get_job")
def get_job(job_id: str, redis: RedisDep) -> JobView:
    """The job's status, and its result or error once it has ended; 404 if unknown."""
    try:
        job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
    except NoSuchJobError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job with id {job_id!r}") from None
    state = job.get_status(refresh=False)
    view = JobView(
        id=job.id,
        status=state.value,
        spec=job.args[0] if job.args else None,
        worker=job.worker_name,
        enqueued_at=job.enqueued_at,
        started_at=job.started_at,
        ended_at=job.ended_at,
    )
    if job.enqueued_at and job.started_at:
        view.queue_seconds = (job.started_at - job.enqueued_at).total_seconds()
    if job.started_at and job.ended_at:
        view.run_seconds = (job.ended_at - job.started_at).total_seconds()
    if state.value == "finished":
        view.result = job.return_value()
    elif state.value == "failed":
        view.traceback = job.exc_info
        view.error = view.traceback.strip().splitlines()[-1] if view.traceback else "failed"
    return view
