"""`python -m services.tools.history.checker HISTORY`: did every accepted job end, exactly once?

Total-queue semantics, as Jepsen's `total-queue` checker: a submission is an enqueue, a job's end is
its dequeue. From the clients' history (recorder.py) and what Redis kept (stored.py), after the faults
are healed and the queue drained:

- lost: a 202 that did not end well: no record and no end on the stream, finished with a wrong answer,
  failed (the workloads send only valid jobs: every failure is the stack's), or canceled with no cancel
  asked;
- record gone: a job that ended (its end is on the executions stream) whose record was trimmed or evicted
  since, as memory pressure may (shared/job_store.py): fine, counted; its status and count are checked;
- stuck: a job (accepted, or recovered) still queued or started;
- duplicated effects: a chunk (or a local job) merged more than once;
- duplicated executions: a chunk run more than once: allowed (a re-run after a fault), counted;
- unexpected: a job nobody submitted (or whose submission was refused) that exists or ran;
- recovered: a submission whose answer was unknown (`info`) but whose job exists: fine, counted (a job
  with no record but an end on the stream is matched to any such submission left, its spec being gone).

Exits 1 on any lost, stuck, duplicated effect or unexpected job; the report goes to reports/. `make
chaos SCHEDULE=random` runs it at its end; run again by hand, it reads the stack's Redis (every record
created since the history's start), so before another run adds jobs of its own.
"""

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from services.tools import stack
from services.tools.history import recorder, stored
from services.tools.history.answers import ExactAnswers
from shared.job_status import ACTIVE, CANCELED, FAILED, FINISHED

EXAMPLES = 5  # ids shown per anomaly


@dataclass
class Report:
    submitted: dict[str, int] = field(default_factory=dict)  # ok / fail / info submissions
    cancels: int = 0
    reads: int = 0
    ended: dict[str, int] = field(default_factory=dict)  # status -> jobs (accepted or recovered)
    lost: int = 0
    stuck: int = 0
    duplicated_effects: int = 0  # merges beyond the first, over every chunk
    duplicated_executions: int = 0  # runs beyond the first, over every chunk
    unexpected: int = 0
    recovered: int = 0
    record_gone: int = 0  # ended (the stream says so), record trimmed or evicted since
    executions: int = 0
    truncated: bool = False  # the executions stream lost some of the run's entries (EXECUTIONS_KEPT)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.stuck or self.duplicated_effects or self.unexpected)

    def note(self, kind: str, **example: Any) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        shown = self.examples.setdefault(kind, [])
        if len(shown) < EXAMPLES:
            shown.append(example)

    def line(self) -> str:
        return (
            f"checker: {self.submitted.get('ok', 0)} accepted ({self.submitted.get('fail', 0)} refused, "
            f"{self.submitted.get('info', 0)} unknown), {self.cancels} cancels, "
            f"{self.executions} executions; "
            f"lost {self.lost}, stuck {self.stuck}, duplicated effects {self.duplicated_effects}, "
            f"unexpected {self.unexpected}; recovered {self.recovered}, "
            f"ended with their record gone {self.record_gone}, "
            f"duplicated executions {self.duplicated_executions} (allowed)"
            + ("; the executions stream was trimmed: some executions unseen" if self.truncated else "")
        )


def _key(spec: dict[str, Any]) -> str:
    """What identifies a submission's job among the records: its kernel, params and mode."""
    return json.dumps([spec["kernel"], spec["params"], spec.get("mode") or "local"], sort_keys=True)


def check(ops: list[dict[str, Any]], kept: stored.Stored) -> Report:
    """Judge a history against what Redis kept of the run (pure: no I/O)."""
    report = Report(truncated=kept.truncated, executions=len(kept.executions))
    invokes = {op["op"]: op for op in ops if op["type"] == "invoke"}
    completions = {op["op"]: op for op in ops if op["type"] != "invoke"}
    accepted: dict[str, dict[str, Any]] = {}  # job id -> the body the client sent
    unknown: Counter[str] = Counter()  # spec key -> submissions with no answer
    refused: Counter[str] = Counter()
    canceled: set[str] = set()
    outcomes: Counter[str] = Counter()
    for number, invoke in invokes.items():
        done = completions.get(number, {"type": "info", "value": {}})  # no completion: unknown
        if invoke["f"] == "submit":
            outcomes[done["type"]] += 1
            if done["type"] == "ok":
                accepted[done["value"]["id"]] = invoke["value"]
            elif done["type"] == "info":
                unknown[_key(invoke["value"])] += 1
            else:
                refused[_key(invoke["value"])] += 1
        elif invoke["f"] == "cancel":
            report.cancels += 1
            canceled.add(invoke["value"]["id"])  # asked, whatever the answer
        elif invoke["f"] == "read":
            report.reads += 1
    report.submitted = dict(outcomes)
    jobs = {job.id: job for job in kept.jobs}
    answers = ExactAnswers([*accepted.values(), *(job.spec for job in kept.jobs)])

    def judge(job_id: str, spec: dict[str, Any] | None) -> None:
        """`spec` None: a recovered job whose record is gone, its answer unknown to check."""
        job = jobs.get(job_id)
        end = kept.ends.get(job_id)
        if job is not None:
            status, answer, error = job.status, job.answer, job.error
            right = spec is None or answer == answers.of(spec)
        elif end is not None:
            report.note("record_gone", id=job_id, status=end.status)
            status, answer, error = end.status, {"count": end.count}, "(its record is gone)"
            right = spec is None or end.count == answers.of(spec)["count"]
        else:
            report.note("lost", id=job_id, why="no record, and no end on the stream")
            return
        report.ended[status] = report.ended.get(status, 0) + 1
        if status in ACTIVE:
            report.note("stuck", id=job_id, status=status)
        elif status == FINISHED and not right:
            report.note("lost", id=job_id, why="finished with a wrong answer", answer=answer)
        elif status == FAILED:
            report.note("lost", id=job_id, why=f"failed: {error}")
        elif status == CANCELED and job_id not in canceled:
            report.note("lost", id=job_id, why="canceled, and nobody asked")

    for job_id, body in accepted.items():
        judge(job_id, body)
    known = set(accepted)
    for job in sorted(jobs.values(), key=lambda j: j.created_at):
        if job.id in known:
            continue
        key = _key(job.spec)
        if unknown[key] > 0:
            unknown[key] -= 1
            report.recovered += 1
            known.add(job.id)
            judge(job.id, job.spec)
        else:
            why = "its submission was refused" if refused[key] else "nobody submitted it"
            report.note("unexpected", id=job.id, why=why, status=job.status)
    for job_id in sorted(set(kept.ends) - known - set(jobs)):
        if unknown.total() > 0:  # its spec went with its record: any unknown submission left
            unknown[next(key for key, n in unknown.items() if n > 0)] -= 1
            report.recovered += 1
            known.add(job_id)
            judge(job_id, None)
        else:
            report.note("unexpected", id=job_id, why="ended, with no record and no submission")
    runs: Counter[tuple[str, str]] = Counter()
    effects: Counter[tuple[str, str]] = Counter()
    strangers = set()
    for execution in kept.executions:
        runs[execution.job, execution.chunk] += 1
        effects[execution.job, execution.chunk] += execution.effect
        if execution.job not in known and execution.job not in jobs and execution.job not in kept.ends:
            strangers.add(execution.job)
    for job_id in sorted(strangers):
        report.note("unexpected", id=job_id, why="ran, with no record and no submission")
    for (job_id, chunk), n in sorted(runs.items()):
        report.duplicated_executions += n - 1
        if effects[job_id, chunk] > 1:
            report.duplicated_effects += effects[job_id, chunk] - 1
            shown = report.examples.setdefault("duplicated_effects", [])
            if len(shown) < EXAMPLES:
                shown.append({"id": job_id, "chunk": chunk, "merges": effects[job_id, chunk]})
    return report


def write(report: Report, reports: Path, stem: str) -> Path:
    """The report as JSON in `reports`: reports/<stem>.json."""
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / f"{stem}.json"
    path.write_text(json.dumps({"ok": report.ok, **asdict(report)}, indent=2))
    return path


def main(argv: list[str] | None = None) -> int:
    import docker

    parser = argparse.ArgumentParser(prog="python -m services.tools.history.checker", description=__doc__)
    parser.add_argument("history", type=Path, help="a history recorder.py wrote (JSONL)")
    parser.add_argument("--project", default=stack.default_project())
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    start, ops = recorder.load(args.history)
    client = docker.from_env()
    try:
        kept = stored.read(stored.InContainer(stored.redis_container(client, args.project)), start)
    finally:
        client.close()
    report = check(ops, kept)
    print(report.line())
    stem = f"history-check-{time.strftime('%Y%m%d-%H%M%S')}"
    print(f"report: {write(report, args.reports, stem)}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
