"""`python -m worker.baseline KERNEL SIZE [--work W --seed S]`: one job's kernel run in one process, no
pool, no queue.

The load test runs this inside a worker container (same Python, same CPU limit) to get the
single-process speed that parallel efficiency is measured against. A `bytes` job's dataset is made
from its seed and staged before the clock (worker/reference_data.py). Prints JSON.
"""

import argparse
import json
import statistics
import time

from shared.kernels import run_kernel
from worker.reference_data import add_arguments, reference_job


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m worker.baseline")
    add_arguments(parser)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times = []
    with reference_job(args.kernel, args.size, work=args.work, seed=args.seed) as reference:
        units = reference.job.units()
        for _ in range(args.repeat):
            start = time.perf_counter()
            run_kernel(args.kernel, reference.params, units.start, units.stop)
            times.append(time.perf_counter() - start)
    print(json.dumps({"seconds_per_job": statistics.median(times), "runs": times}))


if __name__ == "__main__":
    main()
