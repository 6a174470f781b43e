"""Error responses: validation errors that always name their field, and 503 while Redis is away."""

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# pydantic reports a bad or missing discriminator (`kernel`) at the union itself, with no field.
_TAG_ERRORS = {"union_tag_invalid", "union_tag_not_found"}


async def _validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's 422, with the discriminator's name added to the location of tag errors."""
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        if error.get("type") in _TAG_ERRORS:
            tag = str(error.get("ctx", {}).get("discriminator", "")).strip("'")
            error = {**error, "loc": (*error["loc"], tag)}
        errors.append(error)
    return await request_validation_exception_handler(request, RequestValidationError(errors, body=exc.body))


async def _redis_unavailable(request: Request, exc: Exception) -> Response:
    """Redis away (restarting, unreachable): tell the client to retry rather than fail with 500."""
    return JSONResponse(
        status_code=503,
        content={"detail": f"Redis is unavailable: {exc}"},
        headers={"Retry-After": "1"},
    )


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RedisConnectionError, _redis_unavailable)
    app.add_exception_handler(RedisTimeoutError, _redis_unavailable)
