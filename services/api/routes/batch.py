"""Submit many jobs in one request: POST /jobs/batch, all accepted or none."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from services.api.deps import QueueDep, StoreDep
from services.api.enqueue import accept, job_options, write
from services.api.responses import documented
from shared.jobs import JobSpec
from shared.plan import BatchTooLarge, JobPlan, plan_batch
from shared.settings import get_settings

router = APIRouter(prefix="/jobs", tags=["jobs"])

# The batch's rule between fields (what its jobs add up to), besides each job's (shared/jobs.py).
BATCH_TOO_LARGE = "batch_too_large"
BATCH_RULES = (BATCH_TOO_LARGE,)


class BatchRequest(BaseModel):
    """Up to MAX_BATCH job requests, each exactly what POST /jobs takes."""

    model_config = ConfigDict(extra="forbid")

    jobs: list[JobSpec] = Field(min_length=1, json_schema_extra=lambda schema: _max_items(schema))

    @field_validator("jobs", mode="before")
    @classmethod
    def _at_most_max_batch(cls, value: Any) -> Any:
        # Counted before any job is validated: an oversized batch costs nothing to refuse.
        limit = get_settings().max_batch
        if isinstance(value, list) and len(value) > limit:
            raise PydanticCustomError(
                "too_long",
                "a batch takes at most {limit} jobs, not {count}",
                {"limit": limit, "count": len(value)},
            )
        return value


def _max_items(schema: dict[str, Any]) -> None:
    """The schema states MAX_BATCH, read from the settings in effect when it is built."""
    schema["maxItems"] = get_settings().max_batch


@dataclass(frozen=True)
class PlannedBatch:
    jobs: list[JobSpec]
    plans: list[JobPlan]  # each job's, in order


async def planned(batch: BatchRequest, request: Request) -> PlannedBatch:
    """The batch and its jobs' plans (shared.plan.plan_batch); a batch of too many queue entries is
    refused as a 422 at `jobs`, with the request as its input, as pydantic reports the other rules."""
    try:
        return PlannedBatch(batch.jobs, plan_batch(batch.jobs))
    except BatchTooLarge as too_large:
        ctx = {"entries": too_large.entries, "limit": too_large.limit, "field": "jobs"}
        error = {"type": BATCH_TOO_LARGE, "loc": ("body",), "msg": str(too_large), "ctx": ctx}
        raise RequestValidationError([{**error, "input": await request.json()}]) from too_large


class BatchAccepted(BaseModel):
    ids: list[str]  # in the order of the request's jobs
    status: str
    queue_entries: int  # jobs on the queue: one per local job, one per chunk otherwise


@router.post(
    "/batch",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchAccepted,
    operation_id="submit_batch",
    responses={
        202: {
            "links": {
                "GetFirstJob": {"operationId": "get_job", "parameters": {"job_id": "$response.body#/ids/0"}},
                "CancelFirstJob": {
                    "operationId": "cancel_job",
                    "parameters": {"job_id": "$response.body#/ids/0"},
                },
            }
        },
        **documented(413, 422, 429, 503),
    },
)
def submit_batch(
    batch: Annotated[PlannedBatch, Depends(planned)], queue: QueueDep, store: StoreDep
) -> BatchAccepted:
    """Validate every job, then enqueue them all in one MULTI/EXEC; 202 with their ids.

    One invalid job refuses the whole batch (422, naming it by its index in `jobs`) and nothing is
    enqueued; so does a batch of more than MAX_BATCH jobs. 429 (with Retry-After) if the batch would take
    the work waiting past MAX_QUEUED_ENTRIES or MAX_QUEUED_UNITS: again, nothing is enqueued.
    """
    options = job_options()
    jobs = [accept(spec, options, plan) for spec, plan in zip(batch.jobs, batch.plans, strict=True)]
    write(store, queue, jobs)
    return BatchAccepted(
        ids=[job.job_id for job in jobs], status="queued", queue_entries=sum(len(j.entries) for j in jobs)
    )
