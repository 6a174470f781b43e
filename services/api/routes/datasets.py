"""Datasets, the input of `bytes` jobs: POST /datasets, GET /datasets/{id}, DELETE /datasets/{id}."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from fastapi.exceptions import RequestValidationError

from services.api import datasets
from services.api.deps import RedisDep
from services.api.responses import documented
from services.api.schemas import DatasetView
from shared import datasets as stored
from shared.datasets import PATTERN
from shared.settings import get_settings

router = APIRouter(prefix="/datasets", tags=["datasets"])

CONTENT_TYPE = "application/octet-stream"
DatasetId = Annotated[str, Path(pattern=f"^{PATTERN}$", description="the id POST /datasets answered")]

_LINKS = {
    "GetDataset": {"operationId": "get_dataset", "parameters": {"dataset_id": "$response.body#/id"}},
    "DeleteDataset": {"operationId": "delete_dataset", "parameters": {"dataset_id": "$response.body#/id"}},
}
_NOT_FOUND = {
    404: {
        **documented(404)[404],
        "description": "No dataset with this id (never uploaded, deleted or expired)",
    }
}


def _body_schema() -> dict:
    """The request body as OpenAPI states it, with MAX_DATASET_BYTES in effect."""
    limit = get_settings().max_dataset_bytes
    schema = {"type": "string", "format": "binary", "minLength": 1, "maxLength": limit}
    return {"requestBody": {"required": True, "content": {CONTENT_TYPE: {"schema": schema}}}}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetView,
    operation_id="upload_dataset",
    openapi_extra=_body_schema(),
    responses={
        201: {
            "links": _LINKS,
            "headers": {"Location": {"description": "the dataset's URL", "schema": {"type": "string"}}},
        },
        413: {**documented(413)[413], "description": "Over MAX_DATASET_BYTES; nothing was stored"},
        415: {
            **documented(413)[413],
            "description": f"The body is not `Content-Type: {CONTENT_TYPE}`; nothing was read or stored",
        },
        **documented(422, 429, 503),
    },
)
async def upload_dataset(request: Request, response: Response, redis: RedisDep) -> DatasetView:
    """Store the raw request body as a dataset (`Content-Type: application/octet-stream`); 201 with its id,
    size and SHA-256, its URL in `Location`.

    The body is streamed to Redis as it arrives, a MiB at a time: the API never holds it whole. Refused,
    with nothing stored: over MAX_DATASET_BYTES 413, another content type 415, no bytes 422
    (`dataset_empty`), Redis near its memory bound 429 (Retry-After). A dataset is kept DATASET_TTL
    seconds, and at least as long as the record of every job accepted on it (RESULT_TTL).
    """
    limit = get_settings().max_dataset_bytes
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != CONTENT_TYPE:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"send the dataset as `Content-Type: {CONTENT_TYPE}`"
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    try:
        meta = await datasets.upload(redis, request.stream(), limit)
    except datasets.DatasetTooLarge:
        raise _too_large(limit) from None
    except datasets.DatasetEmpty as exc:
        error = {"type": "dataset_empty", "loc": ("body",), "msg": str(exc), "input": None}
        raise RequestValidationError([error]) from None
    url = str(request.url_for("get_dataset", dataset_id=meta.id).path)
    response.headers["Location"] = url
    return DatasetView(**vars(meta))


def _too_large(limit: int) -> HTTPException:
    # The rest of the body stays unread, so the connection cannot be reused: say so.
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"the dataset is over MAX_DATASET_BYTES ({limit:,} bytes); nothing was stored",
        headers={"Connection": "close"},
    )


@router.get(
    "/{dataset_id}",
    response_model=DatasetView,
    name="get_dataset",
    operation_id="get_dataset",
    responses={**_NOT_FOUND, **documented(422, 503)},
)
def get_dataset(dataset_id: DatasetId, redis: RedisDep) -> DatasetView:
    """The dataset's size, SHA-256, upload time and the seconds until it expires; 404 if unknown."""
    meta = stored.read_meta(redis, dataset_id)
    if meta is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dataset with id {dataset_id!r}")
    return DatasetView(**vars(meta))


@router.delete(
    "/{dataset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_dataset",
    responses={**_NOT_FOUND, **documented(422, 503)},
)
def delete_dataset(dataset_id: DatasetId, redis: RedisDep) -> Response:
    """Remove the dataset now; 204, or 404 if unknown. Jobs still running on it fail, saying so."""
    if not stored.delete(redis, dataset_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dataset with id {dataset_id!r}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
