"""`python -m services.peers.drive PEER KERNEL SIZE JOBS --hosts H,... --each N`: one timed run of a peer.

Run by make compare in the peer's image, on the stack's network, once the peer's worker containers are
up: it waits until each named container has N processes consuming (the peer's `wait_ready`), then sends
every chunk of JOBS jobs of SIZE units at once (our distributed plan's chunks, or of --chunk-size units as
make compare TASK= cuts them; one task each), as the ceiling deals out every job at once, and waits for
every answer. It prints `clock start` and `clock stop` around that, so the host reads the workers'
cgroups at those lines, then one JSON line: wall time, jobs/s, the ready processes per container, and
every job's answer (all must be equal; the caller checks it against the exact one). The clock covers
sending, the queue, the work and collecting the answers.
"""

import argparse
import importlib
import json
import sys
import time

from services.peers.chunks import job_chunks, merged

# Up to here a peer's containers are still starting; beyond, something is wrong with them.
READY_SECONDS = 120
START, STOP = "clock start", "clock stop"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.peers.drive", description=__doc__)
    parser.add_argument("peer", choices=("celery", "dramatiq", "dask"))
    parser.add_argument("kernel", choices=("primes", "pi"))
    parser.add_argument("size", type=int)
    parser.add_argument("jobs", type=int)
    parser.add_argument("--hosts", required=True, help="the worker containers' hostnames, comma-separated")
    parser.add_argument("--each", type=int, required=True, help="processes to wait for in each")
    parser.add_argument("--chunk-size", type=int, help="units per chunk (default: our planner's)")
    args = parser.parse_args(argv)
    peer = importlib.import_module(f"services.peers.{args.peer}.app")
    counts = peer.wait_ready(args.hosts.split(","), args.each, READY_SECONDS)
    chunks = job_chunks(args.kernel, args.size, args.chunk_size)
    print(START, flush=True)
    start = time.perf_counter()
    answers = peer.run_all(args.kernel, args.size, chunks * args.jobs)
    wall = time.perf_counter() - start
    print(STOP, flush=True)
    jobs = merged(answers, len(chunks))
    print(
        json.dumps(
            {
                "jobs": len(jobs),
                "chunks_per_job": len(chunks),
                "processes": counts,
                "wall_seconds": wall,
                "jobs_per_second": len(jobs) / wall,
                "all_equal": all(j == jobs[0] for j in jobs),
                "count": jobs[0].count,
                "histogram": jobs[0].histogram,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
