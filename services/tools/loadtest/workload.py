"""What the load test submits: one job body repeated, and the answer every job must return."""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from shared.jobs import job_params, unit_range
from shared.kernels import dataset, run_kernel
from shared.seeded_bytes import seeded_bytes, seeded_sha256
from shared.tally import Tally


@dataclass(frozen=True)
class Workload:
    kernel: str
    size: int  # units per job; for `bytes`, the dataset's bytes
    jobs: int
    concurrency: int
    mode: str = "local"
    chunk_size: int | None = None
    # `bytes` only: the dataset uploaded (its id), made of seeded_bytes(seed, size), and the CPU per byte.
    dataset: str | None = None
    work: int = 0
    seed: int = 0

    def body(self) -> dict[str, Any]:
        """The job request: primes in [0, size), `size` pi samples (seed 0), or a pass over the dataset."""
        params: dict[str, Any]
        if self.kernel == "bytes":
            params = {"dataset": self.dataset, "work": self.work}
        else:
            params = job_params(self.kernel, self.size)
        body: dict[str, Any] = {"kernel": self.kernel, "params": params, "mode": self.mode}
        if self.chunk_size:
            body["chunk_size"] = self.chunk_size
        return body

    def reference_args(self) -> list[str]:
        """What worker.ceiling and worker.baseline take to run this workload's job without the stack."""
        extra = ["--work", str(self.work), "--seed", str(self.seed)] if self.kernel == "bytes" else []
        return [self.kernel, str(self.size), *extra]

    def data_sha256(self) -> str | None:
        """The SHA-256 of the dataset's bytes (`bytes`), as its upload's and the ceiling's must be."""
        return seeded_sha256(self.seed, self.size) if self.kernel == "bytes" else None

    def expected(self) -> Tally:
        """The exact answer, computed on the host (after the run, so as not to compete for CPU)."""
        if self.kernel == "bytes":
            found = _dataset_answer(self.seed, self.size, self.work)
            return Tally(found.count, list(found.histogram))  # a copy: a Tally merges in place
        params = job_params(self.kernel, self.size)
        units = unit_range(self.kernel, params)
        return run_kernel(self.kernel, params, units.start, units.stop)


@lru_cache(maxsize=16)
def _dataset_answer(seed: int, size: int, work: int) -> Tally:
    # Seconds of host CPU at high `work`: once per dataset and work, not once per cell and round.
    return dataset.tally(seeded_bytes(seed, size), work)
