"""`python -m services.tools.soak` (`make soak`): load the running stack for DURATION seconds as fast as it
accepts work (tiny and normal jobs, local and distributed), sampling every container's memory, Redis's
memory and keys, and the accept rate; then drain and check that every 202 ended finished with the exact
answer, that no container restarted, and that the stack is healthy. Writes reports/soak-*.json and .png,
prints a short summary; exits 1 if any check failed.
"""

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from services.tools import preflight
from services.tools.soak import rates, sampler
from services.tools.soak.chart import soak_chart
from services.tools.soak.checker import check, expected_answer
from services.tools.soak.driver import MIX, Submissions, kind, run
from services.tools.stack import default_project, default_url

# Seconds per point of the accept rate's series.
RATE_BIN = 10.0
MB = 1024 * 1024


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.tools.soak", description=__doc__)
    parser.add_argument("--url", default=default_url())
    parser.add_argument("--project", default=default_project())
    parser.add_argument("--duration", type=float, default=1800, help="seconds of load (default: %(default)s)")
    parser.add_argument(
        "--submitters", type=int, default=4, help="threads posting jobs (default: %(default)s)"
    )
    parser.add_argument("--sample-seconds", type=float, default=5, help="seconds between samples")
    parser.add_argument("--drain-timeout", type=float, default=1800, help="seconds the drain may take")
    parser.add_argument("--watchers", type=int, default=32, help="threads long-polling accepted jobs")
    parser.add_argument(
        "--max-in-flight", type=int, default=2000, help="accepted jobs not yet seen ended, at most"
    )
    preflight.add_wait_workers_option(parser)
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    return parser.parse_args(argv)


def accept_rate(accepted: list[tuple[float, str, str]], start: float, end: float) -> list[dict[str, float]]:
    """Jobs accepted per second in each RATE_BIN of the load."""
    bins = max(1, int((end - start) // RATE_BIN))
    counts = [0] * bins
    for at, _, _ in accepted:
        counts[min(bins - 1, max(0, int((at - start) // RATE_BIN)))] += 1
    return [{"at": start + i * RATE_BIN, "per_second": n / RATE_BIN} for i, n in enumerate(counts)]


def restarted(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[str]:
    """Containers that restarted, stopped or appeared during the soak, each with what changed."""
    found = []
    for name in sorted(set(before) | set(after)):
        was, now = before.get(name), after.get(name)
        if was is None or now is None:
            found.append(f"{name}: {'appeared' if was is None else 'gone'}")
        elif now["restart_count"] != was["restart_count"] or now["started_at"] != was["started_at"]:
            found.append(f"{name}: restarted {now['restart_count'] - was['restart_count']} time(s)")
        elif now["status"] != was["status"]:  # a one-shot service (redis-secret) stays exited
            found.append(f"{name}: {was['status']} -> {now['status']}")
    return found


def speed_lines(decay: dict[str, Any]) -> list[str]:
    """The accept rate at the reference minute's machine speed, where every minute has a probe."""
    if "adjusted_last_share" not in decay:
        return []
    low, high = decay["speed_range"]
    return [
        f"at the first minute's machine speed (a fixed loop's CPU time, sampled beside the load, took "
        f"{100 * low:.0f} to {100 * high:.0f} % of its first minute's): last minute "
        f"{100 * decay['adjusted_last_share']:.0f} %, lowest {100 * decay['adjusted_lowest_share']:.0f} %"
    ]


def cpu_lines(minutes: list[dict[str, float]]) -> list[str]:
    """The first and the last minute's CPU: the stack's per job and in cores, and what ran beside it."""
    measured = [row for row in minutes if "stack_cores" in row]
    if not measured:
        return []
    return [
        f"cores, {name} minute: stack {row['stack_cores']:.2f} "
        f"({row['stack_ms_per_job']:.1f} CPU ms per job), engine {row['engine_cores']:.2f}, "
        f"the soak's own process {row['soak_cores']:.2f}, anything else {row['other_cores']:.2f}, "
        f"steal {row['steal_cores']:.2f}, idle {row['idle_cores']:.2f}"
        for name, row in (("first", measured[0]), ("last", measured[-1]))
    ]


def summarise(report: dict[str, Any]) -> list[str]:
    verdict, samples = report["verdict"], report["samples"]
    decay = rates.decay(report["minutes"])
    used = [s["redis"]["used_memory"] for s in samples]
    maxmemory = samples[-1]["redis"]["maxmemory"] if samples else 0
    evicted = samples[-1]["redis"].get("evicted_keys", 0) if samples else 0
    lines = [
        f"soak: {report['duration_seconds']:g} s of load, {verdict['accepted']:,} jobs accepted "
        f"({report['refused']:,} refused with 429, {report['unavailable']:,} with 503, "
        f"{len(report['errors'])} other errors)",
        f"accept rate: {decay['first']:.1f} jobs/s in the first minute once the "
        f"{report['max_in_flight']:,}-job window was full ({report['window_filled_seconds']:.0f} s in), "
        f"{decay['last']:.1f} in the last ({100 * decay['last_share']:.0f} %), {decay['lowest']:.1f} in the "
        f"lowest ({100 * decay['lowest_share']:.0f} %) of {len(report['minutes'])} minutes"
        if decay
        else "accept rate: no whole minute with a job accepted after the window filled",
        *speed_lines(decay),
        *cpu_lines(report["minutes"]),
        f"Redis memory: peak {max(used, default=0) / MB:.1f} MB, last {used[-1] / MB if used else 0:.1f} MB "
        f"of maxmemory {maxmemory / MB:.1f} MB; {evicted:,} keys evicted",
        f"checked: {verdict['exact']:,} of {verdict['accepted']:,} accepted jobs finished exact; "
        f"wrong {verdict['wrong']}, ended otherwise {verdict['ended_otherwise']}, "
        f"not ended {verdict['unended']} (drain {report['drain_seconds']:.0f} s)",
        f"restarts: {', '.join(report['restarted']) or 'none'}; health after: {report['health_after']}",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    say = lambda line: print(f"soak: {line}", flush=True)  # noqa: E731
    try:
        preflight.require_api(args.url)
        preflight.wait_for_workers(args.url, args.wait_workers, say)
        client = preflight.docker_client()
        preflight.require_containers(client, args.project)
    except preflight.NotReady as exc:
        return preflight.refuse("soak", exc)
    answers = {kind(body): expected_answer(body) for body in MIX}
    before = sampler.restarts(client, args.project)
    seen = Submissions(args.max_in_flight)
    watch = sampler.Sampler(args.project, args.sample_seconds, seen.count).start()
    say(f"loading {args.url} for {args.duration:g} s with {args.submitters} submitters")
    start = time.time()
    end = run(
        args.url,
        args.duration,
        args.submitters,
        args.watchers,
        args.drain_timeout,
        seen,
        lambda: say(f"{seen.count():,} accepted, {len(seen.ends):,} seen ended; draining the rest"),
    )
    drained = time.time()
    watch.stop()
    after = sampler.restarts(client, args.project)
    kinds = sampler.footprint(client, args.project)
    client.close()
    with seen.lock:
        verdict = check([(job_id, k) for _, job_id, k in seen.accepted], dict(seen.ends), answers)
    health = httpx.get(f"{args.url}/health", timeout=10)
    report: dict[str, Any] = {
        "started_at": start,
        "duration_seconds": args.duration,
        "drain_seconds": drained - end,
        "submitters": args.submitters,
        "watchers": args.watchers,
        "max_in_flight": args.max_in_flight,
        "mix": [kind(body) for body in MIX],
        "refused": seen.refused,
        "unavailable": seen.unavailable,
        "errors": seen.errors[:50],
        "verdict": {**asdict(verdict), "ok": verdict.ok},
        "restarts_before": before,
        "restarts_after": after,
        "restarted": restarted(before, after),
        "health_after": health.json() if health.status_code == 200 else {"status_code": health.status_code},
        "accept_rate": accept_rate(seen.accepted, start, end),
        "window_filled_seconds": (seen.filled_at or start) - start,
        "minutes": rates.minutes(
            [at for at, _, _ in seen.accepted], watch.samples, seen.filled_at or start, end
        ),
        "footprint": kinds,
        "samples": watch.samples,
        "sample_errors": watch.errors[:50],
    }
    args.reports.mkdir(parents=True, exist_ok=True)
    stem = args.reports / f"soak-{time.strftime('%Y%m%d-%H%M%S')}"
    report["files"] = {"json": str(stem.with_suffix(".json")), "png": str(stem.with_suffix(".png"))}
    Path(report["files"]["json"]).write_text(json.dumps(report, indent=2))
    soak_chart(report, Path(report["files"]["png"]))
    for line in summarise(report):
        say(line)
    say(
        "Redis after the drain, by kind of key (MEMORY USAGE): "
        + "; ".join(
            f"{kind} {row['keys']:,} x {row['bytes_per_key']:,} B" for kind, row in list(kinds.items())[:8]
        )
    )
    say(f"reports: {report['files']['json']}, {report['files']['png']}")
    healthy = health.status_code == 200 and health.json().get("status") == "ok"
    return 0 if verdict.ok and not report["restarted"] and healthy else 1


if __name__ == "__main__":
    sys.exit(main())
