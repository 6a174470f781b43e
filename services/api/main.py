"""The FastAPI application: routes, error handlers, the body size limit, and start-up (wait for Redis)."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from redis.asyncio import BlockingConnectionPool
from redis.asyncio import Redis as AsyncRedis

from services.api import auth, errors, limits, metrics, openapi, query
from services.api.responses import documented
from services.api.routes import batch, dashboard, datasets, health, jobs, workers
from services.api.routes import metrics as metrics_route
from services.api.watch import EndedJobs
from shared.job_store import JobStore
from shared.redis_conn import connect
from shared.settings import get_settings

# uvicorn's own logger: the one its command line configures, so the line shows beside uvicorn's.
log = logging.getLogger("uvicorn.error")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    auth.check_configuration()
    url = settings.redis_connection_url()
    app.state.redis = connect(url, settings.redis_wait_seconds)
    # One store for the process: its scripts are built and hashed once, not per request.
    app.state.store = JobStore(app.state.redis, settings.result_ttl)
    # What GET /metrics exports, read from Redis at each scrape.
    app.state.metrics = metrics.registry(app.state.redis)
    # GET /jobs/{id} reads on the event loop, through a bounded pool; its watchers (?wait=) wait on the
    # process's one subscription to job ends (watch.py), which waits for messages with no timeout.
    reader = AsyncRedis(
        connection_pool=BlockingConnectionPool.from_url(
            url, max_connections=settings.api_redis_connections, socket_connect_timeout=2, socket_timeout=5
        )
    )
    listener = AsyncRedis.from_url(url, socket_connect_timeout=2, socket_keepalive=True)
    app.state.ended = EndedJobs(reader, listener, settings.redis_wait_seconds)
    listening = asyncio.create_task(app.state.ended.run())
    async with asyncio.timeout(settings.redis_wait_seconds):
        await app.state.ended.subscribed.wait()
    # Where to go, as the Docker host reaches it (uvicorn's own line names the port inside the container).
    public = settings.public_url()
    log.info("cpu-contrast is up: the dashboard at %s/ and the API docs at %s/docs", public, public)
    yield
    listening.cancel()
    with suppress(asyncio.CancelledError):
        await listening
    await reader.aclose()
    await listener.aclose()
    app.state.redis.close()


app = FastAPI(
    title="cpu-contrast",
    summary="Enqueue CPU-bound jobs; workers split each across a local multiprocessing Pool.",
    lifespan=lifespan,
)
# Every route but /health (the container's healthcheck) and the dashboard's page wants the token when
# the API is exposed (services/api/auth.py); once it is given, a repeated query parameter is a 422.
secured = {
    "dependencies": [Depends(auth.require_token), Depends(query.single_values)],
    "responses": documented(401),
}
app.include_router(health.router)
app.include_router(jobs.router, **secured)
app.include_router(batch.router, **secured)
app.include_router(datasets.router, **secured)
app.include_router(workers.router, **secured)
app.include_router(dashboard.router, **secured)
app.include_router(dashboard.page_router)
app.include_router(metrics_route.router, **secured)
app.mount("/static", StaticFiles(directory=dashboard.STATIC_DIR), name="static")

errors.install(app)
openapi.install(app)
app.add_middleware(
    limits.BodySizeLimit,
    max_bytes=get_settings().max_body_bytes,
    streamed=frozenset({("POST", "/datasets")}),
)
