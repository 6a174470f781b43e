"""`python -m worker.baseline KERNEL SIZE`: one job's kernel run in one process, no pool, no queue.

The load test runs this inside a worker container (same Python, same CPU limit) to get the
single-process speed that parallel efficiency is measured against. Prints JSON.
"""

import argparse
import json
import statistics
import time

from shared.kernels import run_kernel


def job_params(kernel: str, size: int) -> tuple[dict, int, int]:
    """The params and unit range of the load test's job: primes in [0, size) or `size` pi samples."""
    if kernel == "primes":
        return {"start": 0, "stop": size}, 0, size
    return {"samples": size, "seed": 0}, 0, size


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m worker.baseline")
    parser.add_argument("kernel", choices=("primes", "pi"))
    parser.add_argument("size", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    params, lo, hi = job_params(args.kernel, args.size)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        run_kernel(args.kernel, params, lo, hi)
        times.append(time.perf_counter() - start)
    print(json.dumps({"seconds_per_job": statistics.median(times), "runs": times}))


if __name__ == "__main__":
    main()
