"""The job a reference run (worker/ceiling.py, worker/baseline.py) computes, its data already in place.

For `primes` and `pi` that is the job's params. For `bytes`, the dataset is made from its seed
(shared/seeded_bytes.py: the bytes `make sweep AXIS=data` uploaded) and written into a shared memory
segment of this container before any clock starts, as a local job stages its slice
(worker/data/staging.py): the pool's processes attach to it by name and read in place. That is the
data axis's ceiling: no byte moved once the clock runs.
"""

import argparse
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.shared_memory import SharedMemory
from typing import Any

from shared.jobs import BytesJob, Job, job_params, parse_job
from shared.seeded_bytes import seeded_bytes

KERNELS = ("primes", "pi", "bytes")
# The id a reference's `bytes` job names: it is never looked up, its data is staged here.
NO_DATASET = "0" * 32


@dataclass(frozen=True)
class ReferenceJob:
    job: Job  # the request as the API would take it (its plan: shared.plan)
    params: dict[str, Any]  # what the kernel runs with: the request's, and the staged data for `bytes`
    sha256: str | None  # of the staged bytes, for `bytes`: the caller checks it against the upload's


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """KERNEL SIZE, and --work and --seed for a `bytes` job (SIZE: the dataset's bytes)."""
    parser.add_argument("kernel", choices=KERNELS)
    parser.add_argument("size", type=int, help="units per job; for bytes, the dataset's bytes")
    parser.add_argument("--work", type=int, default=1, help="bytes: CPU per byte (default: %(default)s)")
    parser.add_argument(
        "--seed", type=int, default=0, help="bytes: the dataset's seed (default: %(default)s)"
    )


@contextmanager
def reference_job(
    kernel: str, size: int, mode: str = "local", chunk_size: int | None = None, work: int = 1, seed: int = 0
) -> Iterator[ReferenceJob]:
    """The job of `size` units (bytes: a seeded dataset of `size` bytes, staged until the block ends)."""
    params: dict[str, Any] = (
        {"dataset": NO_DATASET, "work": work} if kernel == "bytes" else job_params(kernel, size)
    )
    request: dict[str, Any] = {"kernel": kernel, "params": params, "mode": mode}
    if chunk_size:
        request["chunk_size"] = chunk_size
    job = parse_job(request)
    if kernel != "bytes":
        yield ReferenceJob(job, params, None)
        return
    assert isinstance(job, BytesJob)
    job.bind(size)
    data = seeded_bytes(seed, size)
    segment = SharedMemory(create=True, size=size)
    try:
        segment.buf[:size] = data
        staged = {"segment": segment.name, "first_block": 0, "bytes": size}
        yield ReferenceJob(job, {**params, "staged": staged}, hashlib.sha256(data).hexdigest())
    finally:
        segment.close()
        segment.unlink()
