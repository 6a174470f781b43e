"""`python -m services.tools.bench [--quick]`: host-process benchmarks; one table, reports/bench-*.json.

Exit status 1 if a job went wrong (not finished, or an inexact answer); a missed target only shows ✗.
"""

import argparse
import dataclasses
import json
import platform
import pstats
import sys
import time
from pathlib import Path
from typing import Any

import redis
from rich.console import Console

from services.tools.bench import (
    aggregation,
    api,
    chunk_size,
    commands,
    cost_model,
    durability,
    efficiency,
    overhead,
    pools,
    render,
    report,
    stack,
    watchers,
)
from services.tools.bench.defaults import FULL, QUICK, SMALL_CHUNK_DIVISOR, Sizes
from services.tools.bench.figures import SECTIONS


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.tools.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round: a smoke run")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="folder for the JSON report")
    parser.add_argument(
        "--profile", action="store_true", help="also run our tiny jobs once under cProfile; top functions"
    )
    parser.add_argument(
        "--fsync-jobs", type=int, help="POST /jobs per appendfsync policy, way and round (figure 7)"
    )
    parser.add_argument("--fsync-rounds", type=int, help="rounds of figure 7, everysec then always in each")
    parser.add_argument(
        "--fsync-dir",
        type=Path,
        help="folder on the disk to measure for figure 7 (default: --reports): Redis's AOF files go there",
    )
    return parser.parse_args(argv)


def sizes_of(args: argparse.Namespace) -> Sizes:
    """QUICK or FULL, with what the flags override."""
    sizes = QUICK if args.quick else FULL
    return dataclasses.replace(
        sizes,
        fsync_jobs=args.fsync_jobs or sizes.fsync_jobs,
        fsync_rounds=args.fsync_rounds or sizes.fsync_rounds,
    )


def profile_worker(connection: redis.Redis, url: str, n: int, path: Path) -> list[str]:
    """Our worker under cProfile for N tiny jobs: the functions with the most own time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    overhead.ours(connection, url, n, "bench-profile", profile=path)
    stats = pstats.Stats(str(path))
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:20]  # type: ignore[attr-defined]
    return [
        f"{tt * 1e6 / n:8.1f} µs/job own, {ct * 1e6 / n:8.1f} µs/job cum  {Path(f).name}:{line} {fn}"
        for (f, line, fn), (_cc, _nc, tt, ct, _callers) in rows
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sizes_of(args)
    # A pipe or a CI log gets rich's 80 columns by default: too narrow for the table.
    console = Console(width=None if Console().is_terminal else 180)

    def log(message: str) -> None:
        console.print(f"[dim]{message}[/]")

    started = time.time()
    result: dict[str, Any] = {
        "run": "quick" if args.quick else "full",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "sizes": sizes.__dict__,
    }
    log("0. the work estimate's cost model, calibrated here")
    result["cost_model"] = cost_model.run(args.quick)
    # Pools and fork-based lab experiments first: this process runs no thread yet.
    log("calibrating ~20 ms chunks; warm pool vs pool per job; in-node aggregation")
    width = efficiency.calibrate()
    chunk_seconds = efficiency.serial([(efficiency.CPU_LO, efficiency.CPU_LO + width)])[0]
    result["pools"] = pools.run(max(1, width // SMALL_CHUNK_DIVISOR), sizes.pool_runs)
    merge = aggregation.median_of(aggregation.merge_seconds, sizes.merges)
    result["aggregation"] = {
        "in_node": aggregation.in_node(sizes.increments, sizes.manager_ops),
        "share": aggregation.share(merge, chunk_seconds, sizes.efficiency_chunks),
    }
    with stack.redis_server() as url:
        connection = redis.Redis.from_url(url)
        result["aggregation"]["redis_merge_seconds"] = aggregation.redis_merge_seconds(
            connection, sizes.merges
        )
        log("1. per-job overhead (RENAME method)")
        result["overhead"] = overhead.run(connection, url, sizes.overhead_jobs, sizes.rounds, log)
        log("1b. where the Redis commands of a chunk job go (MONITOR)")
        breakdown = commands.run(connection, url)
        result["chunk_commands"] = breakdown.as_dict()
        log("1d. automatic chunk size")
        result["chunk_size"] = chunk_size.run(result["overhead"]["ours"]["per_job_seconds"])
        log("2. parallel efficiency")
        result["efficiency"] = efficiency.run(
            connection, url, sizes.efficiency_jobs, sizes.efficiency_chunks, sizes.rounds, log
        )
        connection.flushdb()
        with stack.api(url, "bench-api") as base_url:
            log("4. enqueue throughput through the API, no worker running")
            result["enqueue"] = api.enqueue_rates(
                base_url, connection, sizes.enqueue_requests, sizes.enqueue_batches, sizes.api_concurrency
            )
            connection.flushdb()
            log("1c. tiny jobs through the API")
            workers = stack.our_workers(url, "bench-api", 2, 1)
            try:
                stack.wait_workers(connection, api_queue(connection), 2)
                result["api"] = api.latency(base_url, sizes.api_jobs, sizes.api_concurrency)
            finally:
                stack.stop(workers)
        connection.flushdb()
        log(f"6. {sizes.watchers} watchers held on one API process; /health and POST /jobs meanwhile")
        api_procs: list = []
        with stack.api(url, "bench-watchers", started=api_procs) as base_url:
            result["watchers"] = watchers.run(
                base_url, api_procs[0].pid, connection, sizes.watchers, sizes.watch_probes, sizes.watch_hold
            )
        if args.profile:
            log("profiling our worker on tiny jobs (cProfile)")
            result["profile"] = profile_worker(
                connection, url, sizes.overhead_jobs, args.reports / "bench-worker.prof"
            )
    log(f"7. POST /jobs on a redis-server per appendfsync policy ({', '.join(durability.POLICIES)}), in turn")
    result["durability"] = durability.run(
        args.fsync_dir or args.reports, sizes.fsync_jobs, sizes.fsync_rounds, sizes.api_concurrency, log
    )
    result["sections"] = SECTIONS.dump_python(report.sections(result), mode="json")
    result["wrong_jobs"] = report.wrong_jobs(result)
    result["seconds"] = time.time() - started
    render.render(result, console)
    commands.render(breakdown, console)
    for line in result.get("profile", []):
        console.print(line, highlight=False)
    args.reports.mkdir(parents=True, exist_ok=True)
    path = args.reports / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2))
    console.print(f"report: {path}")
    return 0 if result["wrong_jobs"] == 0 else 1


def api_queue(connection: redis.Redis) -> Any:
    from rq import Queue

    return Queue("bench-api", connection=connection)


if __name__ == "__main__":
    sys.exit(main())
