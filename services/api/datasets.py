"""Datasets in the API: uploading one (the request body streamed into Redis a block at a time, never
held whole), and binding a `bytes` job to the dataset it names.

The body is read as it arrives and appended to the dataset's upload key (shared/datasets.py) in blocks
of UPLOAD_BLOCK bytes, so the API holds one block, whatever the dataset's size. Each append is admitted
like a job (services/api/admission.py): not once Redis would use more than MAX_REDIS_MEMORY_SHARE of its
maxmemory (429, Retry-After). Only once every byte is in does one step rename the bytes into place and
write the metadata; until then nothing is visible, and any refusal (too large, empty, Redis full, the
client gone) deletes what was appended: a refused upload stores nothing.
"""

import hashlib
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from functools import lru_cache

from fastapi.exceptions import RequestValidationError
from pydantic_core import PydanticCustomError
from redis import Redis
from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool

from services.api.admission import QueueFull, queued
from shared.datasets import DatasetKeys, DatasetMeta, read_meta
from shared.jobs import BytesJob, Job
from shared.redis_script import NamedScript, lua_file
from shared.settings import get_settings

# Bytes the API gathers before an append: one round trip per MiB, and at most this much held.
UPLOAD_BLOCK = 1 << 20
# Seconds an upload's partial bytes outlive its last append: what a process killed mid-upload leaves
# behind goes by itself.
STAGING_TTL = 600

# An upload's next block, unless Redis is too full for it (datasets_append.lua).
_APPEND = lua_file(__file__, "datasets_append.lua")


class DatasetTooLarge(Exception):
    """Over MAX_DATASET_BYTES (413); nothing was stored."""


class DatasetEmpty(Exception):
    """No bytes at all (422); nothing was stored."""


@lru_cache(maxsize=8)
def _append_script(redis: Redis) -> NamedScript:
    return NamedScript(redis, _APPEND, ("upload",), ("block", "share", "ttl"))


def _append(redis: Redis, key: str, block: bytes) -> None:
    settings = get_settings()
    reply = _append_script(redis)(
        keys={"upload": key},
        args={"block": block, "share": settings.max_redis_memory_share, "ttl": STAGING_TTL},
    )
    if reply[0] == -1:
        used, maxmemory = int(reply[1]), int(reply[2])
        raise QueueFull(
            *queued(redis),
            f"Redis uses {used:,} bytes and this upload would take it past MAX_REDIS_MEMORY_SHARE "
            f"({settings.max_redis_memory_share:g}) of its maxmemory ({maxmemory:,})",
        )


def _publish(redis: Redis, keys: DatasetKeys, meta: DatasetMeta) -> None:
    """The uploaded bytes into place, with their metadata, in one step."""
    ttl = get_settings().dataset_ttl
    pipe = redis.pipeline()  # MULTI/EXEC
    pipe.rename(keys.upload, keys.data)
    pipe.hset(
        keys.meta,
        mapping={"id": meta.id, "bytes": meta.bytes, "sha256": meta.sha256, "created_at": meta.created_at},
    )
    pipe.expire(keys.data, ttl)
    pipe.expire(keys.meta, ttl)
    pipe.execute()


async def upload(redis: Redis, body: AsyncIterator[bytes], limit: int) -> DatasetMeta:
    """Store the body as a new dataset of at most `limit` bytes; its metadata.

    DatasetTooLarge, DatasetEmpty or QueueFull (Redis too full) if refused: then nothing is stored.
    """
    dataset_id = uuid.uuid4().hex
    keys = DatasetKeys.of(dataset_id)
    digest = hashlib.sha256()
    size = 0
    block = bytearray()
    try:
        async for piece in body:
            size += len(piece)
            if size > limit:
                raise DatasetTooLarge(f"the dataset is over MAX_DATASET_BYTES ({limit:,} bytes)")
            digest.update(piece)
            block += piece
            if len(block) >= UPLOAD_BLOCK:
                await run_in_threadpool(_append, redis, keys.upload, bytes(block))
                block.clear()
        if size == 0:
            raise DatasetEmpty("the dataset is empty: send its bytes as the request body")
        if block:
            await run_in_threadpool(_append, redis, keys.upload, bytes(block))
        meta = DatasetMeta(dataset_id, size, digest.hexdigest(), time.time(), get_settings().dataset_ttl)
        await run_in_threadpool(_publish, redis, keys, meta)
        return meta
    except BaseException:
        # Refused, failed, or the client went away: what was appended goes (else STAGING_TTL takes it).
        with suppress(RedisError):
            redis.delete(keys.upload)
        raise


def bind(redis: Redis, job: Job) -> None:
    """A `bytes` job learns its dataset's size, hence its units; RequestValidationError (422) if the
    dataset does not exist (`dataset_not_found`) or the job's chunk_size makes too many chunks of it.

    The dataset may still go before the job runs (DELETE): the job then fails, saying so.
    """
    if not isinstance(job, BytesJob):
        return
    dataset = job.params.dataset
    meta = read_meta(redis, dataset)
    if meta is None:
        message = f"no dataset with id {dataset!r} (never uploaded, deleted or expired): POST /datasets first"
        error = {
            "type": "dataset_not_found",
            "loc": ("body", "params", "dataset"),
            "msg": message,
            "input": dataset,
        }
        raise RequestValidationError([error])
    try:
        job.bind(meta.bytes)
    except PydanticCustomError as exc:
        error = {
            "type": exc.type,
            "loc": ("body", "chunk_size"),
            "msg": exc.message(),
            "input": job.chunk_size,
        }
        raise RequestValidationError([error]) from None
