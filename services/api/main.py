"""The FastAPI application: routes, error handlers, the body size limit, and start-up (wait for Redis)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from services.api import auth, errors, limits, metrics, openapi
from services.api.responses import documented
from services.api.routes import batch, dashboard, health, jobs, workers
from services.api.routes import metrics as metrics_route
from shared.job_store import WAIT_MAX_SECONDS
from shared.redis_conn import connect, connect_blocking
from shared.settings import get_settings

# uvicorn's own logger: the one its command line configures, so the line shows beside uvicorn's.
log = logging.getLogger("uvicorn.error")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    auth.check_configuration()
    url = settings.redis_connection_url()
    app.state.redis = connect(url, settings.redis_wait_seconds)
    # Long polls (GET /jobs/{id}?wait=) block on their own pool, with a socket timeout that outlasts them.
    app.state.blocking_redis = connect_blocking(url, settings.redis_wait_seconds, WAIT_MAX_SECONDS)
    # What GET /metrics exports, read from Redis at each scrape.
    app.state.metrics = metrics.registry(app.state.redis)
    # Where to go, as the Docker host reaches it (uvicorn's own line names the port inside the container).
    public = settings.public_url()
    log.info("cpu-contrast is up: the dashboard at %s/ and the API docs at %s/docs", public, public)
    yield
    app.state.blocking_redis.close()
    app.state.redis.close()


app = FastAPI(
    title="cpu-contrast",
    summary="Enqueue CPU-bound jobs; workers split each across a local multiprocessing Pool.",
    lifespan=lifespan,
)
# Every route but /health (the container's healthcheck) and the dashboard's page wants the token when
# the API is exposed (services/api/auth.py).
secured = {"dependencies": [Depends(auth.require_token)], "responses": documented(401)}
app.include_router(health.router)
app.include_router(jobs.router, **secured)
app.include_router(batch.router, **secured)
app.include_router(workers.router, **secured)
app.include_router(dashboard.router, **secured)
app.include_router(dashboard.page_router)
app.include_router(metrics_route.router, **secured)
app.mount("/static", StaticFiles(directory=dashboard.STATIC_DIR), name="static")

errors.install(app)
openapi.install(app)
app.add_middleware(limits.BodySizeLimit, max_bytes=get_settings().max_body_bytes)
