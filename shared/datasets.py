"""A dataset in Redis: its bytes in one string, its metadata in one hash. Uploaded by the API
(services/api/datasets.py), read by the workers (worker/data/), a slice at a time.

Keys of dataset <id> (32 hex digits, as uuid4().hex):
- `cpuc:dataset:<id>`: hash of its metadata (id, bytes, sha256, created_at);
- `cpuc:dataset:<id>:data`: its bytes, a Redis string, so a worker reads any slice with GETRANGE;
- `cpuc:dataset:<id>:upload`: the bytes while they stream in, appended block by block, then renamed
  to `:data` in the step that writes the metadata: nobody ever sees half a dataset.

Expiry: a dataset is kept DATASET_TTL seconds after its upload, and every job accepted on it extends
both keys to at least RESULT_TTL from its acceptance (`EXPIRE .. GT`, in the job's own admission step);
a dataset nobody uses goes DATASET_TTL after its upload. A job's record has no expiry until the job
ends, but its dataset always has one: a job still unended RESULT_TTL after its acceptance, or a dataset
evicted under memory pressure (`volatile-lru`), leaves the job without its data (docs/GUIDE.md,
reliability). DELETE /datasets/<id> removes it at once. A job that finds its data gone fails, saying so
(worker/data/source.py).
"""

from dataclasses import dataclass
from typing import Any

PREFIX = "cpuc:dataset:"
# Dataset ids: 32 lowercase hex digits, like job ids.
PATTERN = "[0-9a-f]{32}"


@dataclass(frozen=True)
class DatasetKeys:
    meta: str
    data: str
    upload: str

    @classmethod
    def of(cls, dataset_id: str) -> "DatasetKeys":
        base = PREFIX + dataset_id
        return cls(base, base + ":data", base + ":upload")


@dataclass(frozen=True)
class DatasetMeta:
    id: str
    bytes: int
    sha256: str
    created_at: float
    expires_in: int  # seconds until Redis drops it (extended by the jobs accepted on it)


def read_meta(redis: Any, dataset_id: str) -> DatasetMeta | None:
    """The dataset's metadata, or None if there is no such dataset (never uploaded, deleted, expired)."""
    keys = DatasetKeys.of(dataset_id)
    pipe = redis.pipeline()
    pipe.hgetall(keys.meta)
    pipe.ttl(keys.meta)
    raw, ttl = pipe.execute()
    if not raw:
        return None
    fields = {k.decode(): v.decode() for k, v in raw.items()}
    return DatasetMeta(
        id=fields["id"],
        bytes=int(fields["bytes"]),
        sha256=fields["sha256"],
        created_at=float(fields["created_at"]),
        expires_in=max(int(ttl), 0),
    )


def keep_for_job(pipe: Any, dataset_id: str, ttl: int) -> None:
    """Stage (on a pipeline) what keeps the dataset at least `ttl` more seconds: a job's record's life."""
    keys = DatasetKeys.of(dataset_id)
    for key in (keys.meta, keys.data):
        pipe.expire(key, ttl, gt=True)


def delete(redis: Any, dataset_id: str) -> bool:
    """Remove the dataset; False if there was none."""
    keys = DatasetKeys.of(dataset_id)
    return bool(redis.delete(keys.meta, keys.data))
