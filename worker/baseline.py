"""`python -m worker.baseline KERNEL SIZE`: one job's kernel run in one process, no pool, no queue.

The load test runs this inside a worker container (same Python, same CPU limit) to get the
single-process speed that parallel efficiency is measured against. Prints JSON.
"""

import argparse
import json
import statistics
import time

from shared.jobs import job_params, unit_range
from shared.kernels import run_kernel


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m worker.baseline")
    parser.add_argument("kernel", choices=("primes", "pi"))
    parser.add_argument("size", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    params = job_params(args.kernel, args.size)
    units = unit_range(args.kernel, params)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        run_kernel(args.kernel, params, units.start, units.stop)
        times.append(time.perf_counter() - start)
    print(json.dumps({"seconds_per_job": statistics.median(times), "runs": times}))


if __name__ == "__main__":
    main()
