"""What the load test submits: one job body repeated, and the answer every job must return."""

from dataclasses import dataclass
from typing import Any

from shared.jobs import job_params, unit_range
from shared.kernels import run_kernel
from shared.tally import Tally


@dataclass(frozen=True)
class Workload:
    kernel: str
    size: int
    jobs: int
    concurrency: int
    mode: str = "local"
    chunk_size: int | None = None

    def body(self) -> dict[str, Any]:
        """The job request: primes in [0, size) or `size` pi samples (seed 0)."""
        params = job_params(self.kernel, self.size)
        body: dict[str, Any] = {"kernel": self.kernel, "params": params, "mode": self.mode}
        if self.chunk_size:
            body["chunk_size"] = self.chunk_size
        return body

    def expected(self) -> Tally:
        """The exact answer, computed on the host (after the run, so as not to compete for CPU)."""
        params = job_params(self.kernel, self.size)
        units = unit_range(self.kernel, params)
        return run_kernel(self.kernel, params, units.start, units.stop)
