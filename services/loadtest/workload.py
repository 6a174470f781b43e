"""What the load test submits: one job body repeated, and the answer every job must return."""

from dataclasses import dataclass
from typing import Any

from shared.kernels.pi import count_hits
from shared.kernels.primes import count_primes
from shared.tally import Tally


@dataclass(frozen=True)
class Workload:
    kernel: str
    size: int
    jobs: int
    concurrency: int
    chunk_size: int | None = None

    def body(self) -> dict[str, Any]:
        """The job request: primes in [0, size) or `size` pi samples (seed 0)."""
        params = (
            {"start": 0, "stop": self.size} if self.kernel == "primes" else {"samples": self.size, "seed": 0}
        )
        body: dict[str, Any] = {"kernel": self.kernel, "params": params}
        if self.chunk_size:
            body["chunk_size"] = self.chunk_size
        return body

    def expected(self) -> Tally:
        """The exact answer, computed on the host (after the run, so as not to compete for CPU)."""
        return count_primes(0, self.size) if self.kernel == "primes" else count_hits(0, 0, self.size)
