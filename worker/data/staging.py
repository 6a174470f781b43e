"""Each mode's way of handing a `bytes` job's slice to the processes that compute on it.

- local (a whole job on the pool) and hybrid (a queue chunk on the pool): this process reads the slice
  out of Redis once, into a shared memory segment (`multiprocessing.shared_memory`), and the pool tasks
  name the segment: each pool process attaches to it and reads its blocks in place
  (shared/kernels/dataset.py). No byte of data is pickled to a pool process; the segment is freed when
  the run ends, however it ends.
- distributed (a queue chunk in this one process): this process reads only its slice (GETRANGE) and
  computes on it.

Either way the job's record gets the bytes read and pickled (worker/data/accounting.py). Other kernels
carry no data: their params go to the pool, or the kernel, as they are, and nothing is recorded.
"""

from collections.abc import Mapping
from multiprocessing.shared_memory import SharedMemory
from typing import Any

from shared.kernels import run_kernel
from shared.kernels.dataset import BLOCK
from shared.tally import Tally
from worker import runtime
from worker.data import accounting
from worker.data.source import READ_PIECE, read_into, read_slice, slice_size
from worker.pool.warm import PoolRun, WarmPool


def on_pool(
    job_id: str,
    pool: WarmPool,
    spec: Mapping[str, Any],
    chunks: list[tuple[int, int]],
    redis: Any = None,
    **run: Any,
) -> PoolRun:
    """`pool.run(kernel, params, chunks, **run)` for the job; a `bytes` job's slice (its chunks' span,
    consecutive blocks) staged once in shared memory for it. `redis`: the worker's own by default."""
    if spec["kernel"] != "bytes":
        return pool.run(spec["kernel"], spec["params"], chunks, **run)
    redis = redis or runtime.store().redis
    lo, hi = chunks[0][0], chunks[-1][1]
    dataset = spec["params"]["dataset"]
    # A slice of one READ_PIECE at most (a queue chunk's, as a rule) is read in one round trip and copied
    # in; a longer one is filled a piece at a time, so no reply of more than READ_PIECE is held.
    small = (hi - lo) * BLOCK <= READ_PIECE
    data = read_slice(redis, dataset, lo * BLOCK, hi * BLOCK) if small else None
    size = len(data) if data is not None else slice_size(redis, dataset, lo * BLOCK, hi * BLOCK)
    segment = SharedMemory(create=True, size=size)
    try:
        view = segment.buf[:size]
        try:
            if data is not None:
                view[:] = data
            else:
                read_into(redis, dataset, lo * BLOCK, view)
        finally:
            view.release()
        staged = {"segment": segment.name, "first_block": lo, "bytes": size}
        result = pool.run("bytes", {**spec["params"], "staged": staged}, chunks, **run)
    finally:
        segment.close()
        segment.unlink()
    accounting.add(redis, job_id, size, result.pickled_bytes)
    return result


def here(job_id: str, spec: Mapping[str, Any], lo: int, hi: int, redis: Any = None) -> Tally:
    """Units [lo, hi) of the job computed in this process; a `bytes` job reads only its slice."""
    if spec["kernel"] != "bytes":
        return run_kernel(spec["kernel"], spec["params"], lo, hi)
    redis = redis or runtime.store().redis
    data = read_slice(redis, spec["params"]["dataset"], lo * BLOCK, hi * BLOCK)
    staged = {"data": data, "first_block": lo, "bytes": len(data)}
    tally = run_kernel("bytes", {**spec["params"], "staged": staged}, lo, hi)
    accounting.add(redis, job_id, len(data), 0)
    return tally
