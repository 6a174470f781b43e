"""The live dashboard: its page at `/`, and the figures it polls (GET /dashboard, GET /workers/series)."""

import time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from services.api.dashboard import snapshot
from services.api.deps import QueueDep, RedisDep, StoreDep
from services.api.responses import documented
from services.api.schemas import CpuSeries, DashboardView, SeriesView
from shared.worker_reports import read_series

router = APIRouter(tags=["dashboard"])
# The page itself is open (it holds no data); what it fetches is under `router`.
page_router = APIRouter(include_in_schema=False)

# The page's files (HTML, JS, CSS): served as they are, no build step, nothing fetched from elsewhere.
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


@page_router.get("/")
def page() -> FileResponse:
    """The dashboard's page; it loads /static/dashboard.js, which polls the routes below."""
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/workers/series", response_model=SeriesView, responses=documented(422, 503))
def cpu_series(
    redis: RedisDep,
    since: Annotated[
        float, Query(ge=0, allow_inf_nan=False, description="Unix time: only points after it")
    ] = 0,
) -> SeriesView:
    """Each worker container's own CPU % over time (cgroup accounting, one point a second).

    Poll with `since` set to the previous answer's `now` to get only the new points.
    """
    now = time.time()
    series = read_series(redis, since)
    return SeriesView(now=now, series=[CpuSeries(host=h, points=p) for h, p in series.items()])


@router.get("/dashboard", response_model=DashboardView, responses=documented(422, 503))
def dashboard(
    redis: RedisDep,
    queue: QueueDep,
    store: StoreDep,
    limit: Annotated[int, Query(ge=0, le=200, description="recent jobs to list")] = 20,
) -> DashboardView:
    """Everything the dashboard shows but the CPU series: pools, queue, throughput, latency, bytes moved,
    recent jobs."""
    return snapshot(redis, queue, store, limit)
