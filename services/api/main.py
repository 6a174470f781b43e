"""The FastAPI application: routes, start-up (wait for Redis) and the Redis-down handler."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.api.routes import health, jobs
from shared.redis_conn import connect
from shared.settings import get_settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    app.state.redis = connect(settings.redis_url, settings.redis_wait_seconds)
    yield
    app.state.redis.close()


app = FastAPI(
    title="cpu-contrast",
    summary="Enqueue CPU-bound jobs; workers split each across a local multiprocessing Pool.",
    lifespan=lifespan,
)
app.include_router(health.router)
app.include_router(jobs.router)


@app.exception_handler(redis.exceptions.ConnectionError)
@app.exception_handler(redis.exceptions.TimeoutError)
async def redis_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """Redis away (restarting, unreachable): tell the client to retry rather than fail with 500."""
    return JSONResponse(
        status_code=503,
        content={"detail": f"Redis is unavailable: {exc}"},
        headers={"Retry-After": "1"},
    )
