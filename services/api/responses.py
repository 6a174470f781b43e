"""The error responses each route documents: one description per status, one body model per shape.

Every status a route can answer is in its OpenAPI operation (schemathesis `--checks all` holds the API to
that: tests/api/test_contract.py). Routes pick theirs with `documented(404, 409, ...)`.
"""

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    detail: str  # what went wrong, in a sentence


class FieldError(BaseModel):
    loc: list[str | int]  # where: ["body", ..., field], ["query", name], ["path", name]
    msg: str
    type: str
    input: Any = None
    ctx: dict[str, Any] | None = None


class QueueFullView(BaseModel):
    """429: the work waiting is at its bound; nothing was enqueued. Retry after `Retry-After` seconds."""

    detail: str
    queued_entries: int  # queue entries accepted and not yet ended (one per local job, per chunk otherwise)
    queued_units: int  # their work units
    max_queued_entries: int  # MAX_QUEUED_ENTRIES
    max_queued_units: int  # MAX_QUEUED_UNITS


class ValidationErrors(BaseModel):
    detail: list[FieldError]


_RETRY_AFTER = {
    "Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "string"}}
}
_BEARER_CHALLENGE = {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}}

_RESPONSES: dict[int, dict[str, Any]] = {
    401: {
        "model": ErrorBody,
        "headers": _BEARER_CHALLENGE,
        "description": "No token or a wrong one: send `Authorization: Bearer <API_TOKEN>` (required when "
        "the API is published beyond loopback, API_BIND; on loopback none is fine, a wrong one is not)",
    },
    404: {"model": ErrorBody, "description": "No job with this id (never created, or its record expired)"},
    409: {"model": ErrorBody, "description": "The job had already ended: finished, failed or canceled"},
    413: {
        "model": ErrorBody,
        "description": "Request body over MAX_BODY_BYTES; nothing was read or enqueued",
    },
    422: {
        "model": ValidationErrors,
        "description": "Invalid input, each error naming its field (`loc`) and reason; nothing was enqueued. "
        "Besides what the schema states, rules between fields: primes `stop` > `start` "
        "(`stop_not_above_start`) and `stop` - `start` <= MAX_PRIMES_SPAN (`span_too_large`); at most "
        "MAX_CHUNKS chunks per job (`chunk_size_too_small`); a batch's queue entries at most "
        "max(MAX_CHUNKS, MAX_BATCH) (`batch_too_large`); a `bytes` job's dataset must exist "
        "(`dataset_not_found`: uploaded with POST /datasets, not deleted or expired); a dataset "
        "must have a byte at least (`dataset_empty`)",
    },
    429: {
        "model": QueueFullView,
        "headers": _RETRY_AFTER,
        "description": "The work waiting is at its bound (MAX_QUEUED_ENTRIES, MAX_QUEUED_UNITS, or Redis "
        "near its memory limit); nothing was enqueued: retry after `Retry-After` s",
    },
    503: {
        "model": ErrorBody,
        "headers": _RETRY_AFTER,
        "description": "Redis is unavailable (restarting, unreachable); nothing was changed: retry",
    },
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route that can answer these error statuses."""
    return {status: _RESPONSES[status] for status in statuses}
