"""The checker catches each anomaly of a hand-made history, with the exact count, and passes a clean one.

A history here is what recorder.py writes (invoke, then ok / fail / info), and `Stored` what Redis kept
(stored.py): records and executions, made by hand.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from services.tools.history import recorder
from services.tools.history.checker import Report, check
from services.tools.history.stored import Ended, Execution, Mark, Stored, StoredJob
from shared.kernels.primes import count_primes


def body(start: int) -> dict[str, Any]:
    return {"kernel": "primes", "params": {"start": start, "stop": start + 1000}, "mode": "distributed"}


def exact(start: int) -> dict[str, Any]:
    tally = count_primes(start, start + 1000)
    return {"count": tally.count, "histogram": tally.histogram}


class History:
    """Builds the ops of a history and the records and executions Redis kept."""

    def __init__(self) -> None:
        self.ops: list[dict[str, Any]] = []
        self.jobs: list[StoredJob] = []
        self.executions: list[Execution] = []
        self.ends: dict[str, Ended] = {}

    def op(self, f: str, value: dict[str, Any], kind: str | None, result: dict[str, Any]) -> None:
        number = len(self.ops)
        self.ops.append({"op": number, "process": "t", "type": "invoke", "f": f, "value": value, "time": 0})
        if kind is not None:
            self.ops.append({"op": number, "process": "t", "type": kind, "f": f, "value": result, "time": 1})

    def submit(self, start: int, kind: str = "ok", job_id: str | None = None) -> str:
        job_id = job_id or f"job{start}"
        self.op("submit", body(start), kind, {"id": job_id} if kind == "ok" else {"error": "timeout"})
        return job_id

    def kept(
        self, job_id: str, start: int, status: str = "finished", answer: Any = None, runs: int = 1
    ) -> None:
        """A record of that job, and its two chunks' executions: each run `runs` times, merged once."""
        self.jobs.append(
            StoredJob(job_id, 1.0, status, body(start), "distributed", answer or exact(start), None)
        )
        for chunk in ("0", "1"):
            for run in range(runs):
                self.executions.append(Execution(f"{run}", job_id, chunk, "w1", 1, effect=run == 0))

    def gone(self, job_id: str, start: int, status: str = "finished", count: int | None = None) -> None:
        """That job ended (its end and its chunks' executions on the stream), its record evicted since."""
        self.kept(job_id, start)
        self.jobs.pop()
        self.ends[job_id] = Ended(status, exact(start)["count"] if count is None else count)

    def check(self) -> Report:
        return check(self.ops, Stored(self.jobs, self.executions, truncated=False, ends=self.ends))


def anomalies(report: Report) -> dict[str, int]:
    kinds = ("lost", "stuck", "duplicated_effects", "unexpected", "recovered", "duplicated_executions")
    return {kind: getattr(report, kind) for kind in kinds if getattr(report, kind)}


def test_a_clean_history_passes() -> None:
    history = History()
    for start in range(0, 5000, 1000):
        history.kept(history.submit(start), start)
    history.submit(9000, kind="fail")  # refused (429): it never existed, which is right
    history.submit(8000, kind="info")  # unknown, and it never existed: allowed
    canceled = history.submit(7000)
    history.op("cancel", {"id": canceled}, "ok", {"id": canceled, "status": "canceled"})
    history.kept(canceled, 7000, status="canceled", answer={"count": 0, "histogram": [0] * 10})
    report = history.check()
    assert report.ok and anomalies(report) == {}
    assert report.submitted == {"ok": 6, "fail": 1, "info": 1} and report.cancels == 1
    assert report.ended == {"finished": 5, "canceled": 1}


def test_lost_jobs_are_caught_whatever_way_they_went() -> None:
    history = History()
    history.submit(0)  # no record at all
    history.kept(history.submit(1000), 1000, answer=exact(0))  # a wrong answer (a chunk lost or doubled)
    history.kept(history.submit(2000), 2000, status="canceled")  # canceled, and nobody asked
    failed = history.submit(3000)
    history.jobs.append(StoredJob(failed, 1.0, "failed", body(3000), "distributed", exact(0), "OOM"))
    history.kept(history.submit(4000), 4000)  # fine
    report = history.check()
    assert not report.ok and anomalies(report) == {"lost": 4}
    assert {e["why"] for e in report.examples["lost"]} == {
        "no record, and no end on the stream",
        "finished with a wrong answer",
        "canceled, and nobody asked",
        "failed: OOM",
    }


def test_an_ended_job_whose_record_was_evicted_is_judged_by_its_end_on_the_stream() -> None:
    """Memory pressure drops finished records (volatile-lru, the trim): the stream's end still proves
    the job ended once, and with which status and count."""
    history = History()
    history.gone(history.submit(0), 0)  # finished, right count: fine
    history.gone(history.submit(1000), 1000, count=exact(0)["count"])  # finished, wrong count
    history.gone(history.submit(2000), 2000, status="failed")
    history.gone(history.submit(3000), 3000, status="canceled")  # nobody asked
    history.submit(4000)  # no record and no end: lost
    history.submit(5000, kind="info")
    history.gone("recovered-gone", 5000)  # the unknown submission's job, its spec gone with its record
    report = history.check()
    assert anomalies(report) == {"lost": 4, "recovered": 1}
    assert report.record_gone == 5 and report.ended == {"finished": 3, "failed": 1, "canceled": 1}
    assert sorted(e["why"] for e in report.examples["lost"]) == [
        "canceled, and nobody asked",
        "failed: (its record is gone)",
        "finished with a wrong answer",
        "no record, and no end on the stream",
    ]


def test_an_end_nobody_submitted_is_unexpected_once() -> None:
    history = History()
    history.gone("stranger", 0)  # its end and its chunks' executions: one anomaly, not three
    report = history.check()
    assert anomalies(report) == {"unexpected": 1}
    assert report.examples["unexpected"] == [
        {"id": "stranger", "why": "ended, with no record and no submission"}
    ]


def test_a_chunk_merged_twice_is_a_duplicated_effect() -> None:
    history = History()
    job_id = history.submit(0)
    history.kept(job_id, 0)
    history.executions.append(Execution("9", job_id, "1", "w2", 1, effect=True))  # merged again
    report = history.check()
    assert not report.ok
    assert anomalies(report) == {"duplicated_effects": 1, "duplicated_executions": 1}
    assert report.examples["duplicated_effects"] == [{"id": job_id, "chunk": "1", "merges": 2}]


def test_duplicated_executions_are_allowed_and_counted() -> None:
    history = History()
    history.kept(history.submit(0), 0, runs=3)  # each chunk ran 3 times, merged once
    report = history.check()
    assert report.ok and anomalies(report) == {"duplicated_executions": 4}


def test_jobs_nobody_submitted_are_unexpected() -> None:
    history = History()
    history.kept(history.submit(0), 0)
    history.kept("stranger", 5000)  # a record and executions, no submission
    history.submit(6000, kind="fail")
    history.kept("refused", 6000)  # its submission was refused (a 4xx), yet it exists
    history.executions.append(Execution("7", "ghost", "0", "w1", 1, effect=True))  # ran, no record
    report = history.check()
    assert not report.ok and anomalies(report) == {"unexpected": 3}
    assert [e["why"] for e in report.examples["unexpected"]] == [
        "nobody submitted it",
        "its submission was refused",
        "ran, with no record and no submission",
    ]


def test_a_job_not_ended_after_the_drain_is_stuck() -> None:
    history = History()
    history.kept(history.submit(0), 0, status="started")
    history.kept(history.submit(1000), 1000, status="queued")
    history.kept(history.submit(2000), 2000)
    report = history.check()
    assert not report.ok and anomalies(report) == {"stuck": 2}


def test_an_unknown_submission_whose_job_exists_is_recovered_and_judged() -> None:
    history = History()
    history.submit(0, kind="info")
    history.kept("found", 0)  # the timeout hid a 202
    history.submit(1000, kind=None)  # the client died before any answer: unknown too
    history.kept("found-stuck", 1000, status="started")
    report = history.check()
    assert anomalies(report) == {"recovered": 2, "stuck": 1}
    assert report.submitted == {"info": 2} and not report.ok


def test_the_command_reads_a_recorded_history_file(tmp_path: Path) -> None:
    """The file format recorder.py writes loads back as the checker's ops (start mark first)."""
    path = tmp_path / "history.jsonl"
    with recorder.Recorder(path, Mark(since=12.5, executions_added=3)) as history:
        op = history.invoke("submit", body(0))
        history.complete(op, "ok", "submit", {"id": "a"})
    start, ops = recorder.load(path)
    assert start == Mark(12.5, 3)
    assert [(o["op"], o["type"], o["f"]) for o in ops] == [(0, "invoke", "submit"), (0, "ok", "submit")]
    report = check(ops, Stored([], [], truncated=False))
    assert anomalies(report) == {"lost": 1}
    with pytest.raises(ValueError, match="start mark"):
        (tmp_path / "bad.jsonl").write_text(json.dumps(ops[0]) + "\n")
        recorder.load(tmp_path / "bad.jsonl")
