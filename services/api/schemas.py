"""Response bodies of the API."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class JobAccepted(BaseModel):
    id: str
    status: str
    url: str


class JobView(BaseModel):
    id: str
    # queued, started, finished, failed (or RQ's other states: deferred, stopped, canceled...)
    status: str
    spec: dict[str, Any] | None
    # The worker's report once finished: result.count, result.histogram, host, pool, timings.
    result: dict[str, Any] | None = None
    # The last line of the error once failed, and the full traceback.
    error: str | None = None
    traceback: str | None = None
    # RQ worker that ran it (hostname.pid).
    worker: str | None = None
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    queue_seconds: float | None = None
    run_seconds: float | None = None
