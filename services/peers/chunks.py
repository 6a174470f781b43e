"""The peers' work: the compare workload's jobs cut as our distributed mode cuts them, and merged back."""

from collections.abc import Sequence
from typing import Any

from shared.jobs import job_params, parse_job
from shared.kernels import run_kernel
from shared.plan import plan_job
from shared.tally import Tally

# What crosses a peer's broker: a chunk's bounds in, its tally out, as JSON (every peer's default).
Answer = tuple[int, list[int]]


def job_chunks(kernel: str, size: int, chunk_size: int | None = None) -> list[tuple[int, int]]:
    """The (lo, hi) chunks of one job of `size` units in distributed mode: our API's plan (shared.plan),
    of `chunk_size` units each if given (make compare TASK=), as the request's `chunk_size` cuts them."""
    body = {"kernel": kernel, "params": job_params(kernel, size), "mode": "distributed"}
    job = parse_job(body if chunk_size is None else {**body, "chunk_size": chunk_size})
    return plan_job(job).entries


def run_chunk(kernel: str, size: int, lo: int, hi: int) -> Answer:
    """The task every peer runs: the kernel over units [lo, hi) of a job of `size` units."""
    tally = run_kernel(kernel, job_params(kernel, size), lo, hi)
    return tally.count, tally.histogram


def merged(answers: Sequence[Sequence[Any]], chunks_per_job: int) -> list[Tally]:
    """The answers of every job's chunks, in submission order, merged per job."""
    jobs = []
    for start in range(0, len(answers), chunks_per_job):
        tally = Tally()
        for count, histogram in answers[start : start + chunks_per_job]:
            tally.merge(Tally(count, list(histogram)))
        jobs.append(tally)
    return jobs
