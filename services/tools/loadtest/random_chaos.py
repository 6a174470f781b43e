"""`make chaos SCHEDULE=random DURATION=s SEED=n`: a seeded nemesis under a recorded load, then the checker.

A steady load of unique small jobs (recorded_load.py: submit, cancel, read, each recorded), while the
faults of schedule.py's seeded schedule (nemesis.py) hit the stack at random intervals, overlapping, each
healed in a `finally`. Then: every fault healed again (nemesis.heal_all), the workers healthy, the queue
drained (no accepted work left unended, or the drain's deadline), and the checker run
(services/tools/history/checker.py). The history, the faults fired and the checker's report go to
reports/. Exits 1 on any lost, stuck, duplicated effect or unexpected job, or a fault left unhealed.
"""

import json
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import docker
from docker.models.containers import Container
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

from services.tools import stack
from services.tools.history import recorder, stored
from services.tools.history.checker import Report, check, write
from services.tools.history.recorder import Recorder
from services.tools.loadtest.faults import injected
from services.tools.loadtest.nemesis import NEMESIS, heal_all
from services.tools.loadtest.recorded_load import RecordedLoad
from services.tools.loadtest.schedule import KINDS, Planned, overlapping, random_schedule
from services.tools.stack import host_settings
from services.tools.waiting import settled


@dataclass
class Outcome:
    report: Report
    fired: Counter[str] = field(default_factory=Counter)  # kind -> faults injected and healed
    planned: Counter[str] = field(default_factory=Counter)  # kind -> faults in the schedule
    failed: list[str] = field(default_factory=list)  # faults that could not be injected, and why
    overlapping: int = 0
    unhealed: list[str] = field(default_factory=list)
    drained: bool = True
    history: Path | None = None
    report_path: Path | None = None

    @property
    def ok(self) -> bool:
        return self.report.ok and not self.unhealed and self.drained

    def lines(self) -> list[str]:
        fired = ", ".join(f"{kind} {self.fired[kind]}" for kind in KINDS if kind in self.planned)
        return [
            f"faults fired: {sum(self.fired.values())} ({fired}); "
            f"{self.overlapping} began while another held",
            *(f"  not injected: {why}" for why in self.failed),
            *(f"  NOT HEALED: {why}" for why in self.unhealed),
            *([] if self.drained else ["  the queue did not drain before the deadline"]),
            self.report.line(),
            *(f"  {kind}: {examples}" for kind, examples in self.report.examples.items()),
            f"history: {self.history}; report: {self.report_path}",
        ]


def _service(client: docker.DockerClient, project: str, service: str) -> list[Container]:
    return stack.containers(client, project, service, running=False)


def _fire(planned: Planned, t0: float, stop: threading.Event, victims: dict[str, Any], out: Outcome) -> None:
    """Wait for the fault's time, inject it, hold it, heal it (in a finally); note how it went."""
    if stop.wait(max(0.0, t0 + planned.at - time.monotonic())):
        return
    on = KINDS[planned.kind][0]
    victim = victims["worker"][planned.target] if on in ("worker", "cpu") else victims.get(on, victims["api"])
    try:
        with injected(NEMESIS[planned.kind], victim, victims["redis"]):
            stop.wait(planned.hold)
        out.fired[planned.kind] += 1
    except Exception as exc:  # noted and shown: the run goes on, and heal_all runs at its end anyway
        out.failed.append(
            f"{planned.kind} at {planned.at:.0f} s on {victim.name}: {type(exc).__name__}: {exc}"
        )


def _drain(source: stored.Source, seconds: float) -> bool:
    """Until no accepted work is left unended (True), or `seconds` have passed (False); Redis still
    loading its AOF (an error) counts as not yet."""
    return settled(lambda: stored.admitted(source) == 0, seconds, 2)


def run_random(
    url: str,
    project: str,
    seed: int,
    duration: float,
    reports: Path,
    rate: float = 15.0,
    mean_gap: float = 8.0,
    drain_seconds: float = 300.0,
    say: Any = print,
    kinds: Sequence[str] = (),
) -> Outcome:
    """The whole run against the stack at `url` (compose project `project`); see the module docstring. Only
    faults of `kinds` if given (e.g. kill-redis alone, again and again), else of every kind."""
    from services.tools.loadtest.chaos import _wait_healthy as wait_healthy  # chaos.py imports this module

    client = docker.from_env()
    try:
        victims: dict[str, Any] = {"worker": _service(client, project, "worker")}
        victims["api"], victims["redis"] = (
            _service(client, project, "api")[0],
            stored.redis_container(client, project),
        )
        source = stored.InContainer(victims["redis"])
        schedule = random_schedule(
            seed, duration, len(victims["worker"]), mean_gap, host_settings().liveness_ttl, kinds
        )
        stem = reports / f"chaos-random-seed{seed}-{time.strftime('%Y%m%d-%H%M%S')}"
        wait_healthy(client, project)
        start = stored.mark(source)
        out = Outcome(
            Report(),
            planned=Counter(p.kind for p in schedule),
            overlapping=overlapping(schedule),
            history=stem.with_suffix(".jsonl"),
        )
        say(f"{len(schedule)} faults over {duration:g} s (seed {seed}), {rate:g} jobs/s: {out.history}")
        stop = threading.Event()
        with Recorder(out.history, start) as history:
            load = RecordedLoad(url, history, rate, seed=seed)
            nemeses = [
                threading.Thread(
                    target=_fire, args=(p, time.monotonic(), stop, victims, out), name=f"nemesis-{i}"
                )
                for i, p in enumerate(schedule)
            ]
            try:
                load.start()
                for thread in nemeses:
                    thread.start()
                stop.wait(duration)
            finally:
                stop.set()  # every fault still held is healed now, in its finally
                load.stop()
                for thread in nemeses:
                    thread.join()
                healing = Retrying(
                    stop=stop_after_delay(120), wait=wait_fixed(2), retry=retry_if_result(bool)
                )
                out.unhealed = healing(heal_all, client, project)
        say(f"load stopped: {len(load.accepted)} accepted; healed; waiting for the workers, then the drain")
        wait_healthy(client, project, timeout=300)
        out.drained = _drain(source, drain_seconds)
        out.report = check(recorder.load(out.history)[1], stored.read(source, start))
        out.report_path = write(out.report, reports, stem.name + "-check")
        faults = {
            "seed": seed,
            "duration": duration,
            "rate": rate,
            "kinds": sorted(kinds or KINDS),
            "accepted": len(load.accepted),
            "fired": dict(out.fired),
            "failed": out.failed,
            "overlapping": out.overlapping,
            "unhealed": out.unhealed,
            "drained": out.drained,
            "schedule": [asdict(p) for p in schedule],
        }
        stem.with_name(stem.name + "-faults.json").write_text(json.dumps(faults, indent=2))
        return out
    finally:
        client.close()
