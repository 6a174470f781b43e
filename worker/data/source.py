"""Reading a dataset's bytes out of Redis: a slice with one GETRANGE, or into a buffer a piece at a time.

A dataset deleted or expired before its job read it (DELETE /datasets/<id>) is `DatasetGone`: the job
fails with that reason (worker/queue/retries.py does not retry it: its data will not come back).
"""

from typing import Any

from shared.datasets import DatasetKeys

# Bytes per GETRANGE when filling a buffer: Redis answers each in one reply, which the client holds.
READ_PIECE = 1 << 20


class DatasetGone(LookupError):
    """The job's dataset was deleted or expired before the job read it."""

    def __init__(self, dataset: str) -> None:
        super().__init__(f"dataset {dataset} is gone (deleted or expired) before this job read it")


def read_slice(redis: Any, dataset: str, start: int, stop: int) -> bytes:
    """Bytes [start, stop) of the dataset (fewer if it ends first), in one round trip."""
    pipe = redis.pipeline()  # MULTI/EXEC: the length and the bytes of one version
    key = DatasetKeys.of(dataset).data
    pipe.strlen(key)
    pipe.getrange(key, start, stop - 1)
    size, data = pipe.execute()
    if size == 0:  # a dataset has a byte at least: no key
        raise DatasetGone(dataset)
    return data


def slice_size(redis: Any, dataset: str, start: int, stop: int) -> int:
    """How many of bytes [start, stop) the dataset has."""
    size = redis.strlen(DatasetKeys.of(dataset).data)
    if size == 0:
        raise DatasetGone(dataset)
    return max(0, min(stop, size) - start)


def read_into(redis: Any, dataset: str, start: int, buffer: memoryview) -> None:
    """Fill `buffer` with the dataset's bytes from `start` on, READ_PIECE bytes per GETRANGE."""
    key = DatasetKeys.of(dataset).data
    for offset in range(0, len(buffer), READ_PIECE):
        end = min(offset + READ_PIECE, len(buffer))
        piece = redis.getrange(key, start + offset, start + end - 1)
        if len(piece) != end - offset:  # deleted meanwhile
            raise DatasetGone(dataset)
        buffer[offset:end] = piece
