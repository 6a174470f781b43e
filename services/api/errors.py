"""Error responses: validation errors that always name their field, 429 while the queue is full (with
Retry-After), and 503 while Redis is away or full."""

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError as RedisOutOfMemoryError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from services.api.admission import QueueFull, TooMuchWork
from shared.job_cancel import AlreadyEnded, UnknownJob

# pydantic reports a bad or missing discriminator (`kernel`) at the union itself, with no field.
_TAG_ERRORS = {"union_tag_invalid", "union_tag_not_found"}
# What json.loads raises besides JSONDecodeError (which FastAPI already turns into a 422): bytes that
# are not UTF-8, an integer over Python's digit limit, nesting deeper than the recursion limit.
_UNDECODABLE = (ValueError, RecursionError)


async def _validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's 422, with the field added to the location of errors pydantic reports at a model.

    That is the discriminator (`kernel`) for tag errors, and the `field` a model-level rule names
    in its context (shared/jobs.py).
    """
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        ctx = error.get("ctx", {})
        if error.get("type") in _TAG_ERRORS:
            field = str(ctx.get("discriminator", "")).strip("'")
            error = {**error, "loc": (*error["loc"], field)}
        elif "field" in ctx:
            error = {**error, "loc": (*error["loc"], ctx["field"])}
        errors.append(error)
    # The errors echo the input, which may hold what strict JSON cannot carry (NaN, lone surrogates).
    return JSONResponse(status_code=422, content={"detail": _json_safe(jsonable_encoder(errors))})


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own, except that a JSON body it could not decode is a 422 at `body`, like bad syntax."""
    assert isinstance(exc, HTTPException)
    cause = exc.__cause__
    if exc.status_code == 400 and isinstance(cause, _UNDECODABLE):
        position = cause.start if isinstance(cause, UnicodeDecodeError) else None
        error = {
            "type": "json_invalid",
            "loc": ("body",) if position is None else ("body", position),
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": str(cause)},
        }
        return await _validation_error(request, RequestValidationError([error]))
    if exc.status_code == 405:
        # Starlette names the methods of the first route on the path; several may share it (GET and
        # DELETE /datasets/{id}): `Allow` lists them all.
        allowed = ", ".join(m for m in _METHODS if _served(request, m))
        exc = HTTPException(405, exc.detail, headers={**(exc.headers or {}), "Allow": allowed})
    return await http_exception_handler(request, exc)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _served(request: Request, method: str) -> bool:
    """Whether some route of the app serves the request's path with `method`."""
    scope = {**request.scope, "method": method}
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)


def _json_safe(value: Any) -> Any:
    """`value` with non-finite floats and unencodable strings (lone surrogates) made printable."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_json_safe(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


async def _redis_unavailable(request: Request, exc: Exception) -> Response:
    """Redis away (restarting, unreachable): tell the client to retry rather than fail with 500."""
    return JSONResponse(
        status_code=503,
        content={"detail": f"Redis is unavailable: {exc}"},
        headers={"Retry-After": "1"},
    )


async def _queue_full(request: Request, exc: Exception) -> Response:
    """429: the work waiting is at its bound (admission.py); nothing was enqueued, retry later."""
    assert isinstance(exc, QueueFull)
    body = {
        "detail": str(exc),
        "queued_entries": exc.entries,
        "queued_units": exc.units,
        "max_queued_entries": exc.max_entries,
        "max_queued_units": exc.max_units,
    }
    return JSONResponse(status_code=429, content=body, headers={"Retry-After": str(exc.retry_after)})


async def _too_much_work(request: Request, exc: Exception) -> Response:
    """A request that no queue, however empty, would admit: a 422 at `body`, like a limit of one job."""
    error = {"type": "too_much_work", "loc": ("body",), "msg": str(exc), "input": None}
    return await _validation_error(request, RequestValidationError([error]))


async def _unknown_job(request: Request, exc: Exception) -> Response:
    """404: no such job (shared/job_cancel.py)."""
    return JSONResponse(status_code=404, content={"detail": str(exc)})


async def _already_ended(request: Request, exc: Exception) -> Response:
    """409: the job had ended before the request that would end it (shared/job_cancel.py)."""
    return JSONResponse(status_code=409, content={"detail": str(exc)})


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RedisConnectionError, _redis_unavailable)
    app.add_exception_handler(RedisTimeoutError, _redis_unavailable)
    # Redis at its maxmemory with nothing left to evict (volatile-lru: only ended records may go) refuses
    # writes: the admission bound is there to prevent it.
    app.add_exception_handler(RedisOutOfMemoryError, _redis_unavailable)
    app.add_exception_handler(QueueFull, _queue_full)
    app.add_exception_handler(TooMuchWork, _too_much_work)
    app.add_exception_handler(UnknownJob, _unknown_job)
    app.add_exception_handler(AlreadyEnded, _already_ended)
