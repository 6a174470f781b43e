"""`python -m services.tools.bench --quick` runs end to end on host processes, peers included.

Every job of every runner is accounted for against counts and answers computed here independently
(a sieve), each peer has its figures, and the table reads one figure per line at 160 columns.
"""

import io
import json
import subprocess
import sys
from typing import Any

import pytest
from rich.console import Console

from services.tools.bench import render, report_durability
from services.tools.bench.defaults import CPU_LO, QUICK, TINY_HI, TINY_LO
from services.tools.bench.durability import POLICIES, WAYS
from services.tools.bench.figures import SECTIONS
from services.tools.bench.peers.runners import PEERS
from shared.settings import Settings
from tests.helpers import require_tool

pytestmark = pytest.mark.integration

# A backstop for a stuck process, never a speed target: the quick bench takes a few minutes when busy.
BACKSTOP_SECONDS = 900
# Primes in [1000, 1100), counted by hand: 1009 1013 1019 1021 1031 1033 1039 1049 1051 1061 1063
# 1069 1087 1091 1093 1097.
TINY_PRIMES = 16
# Figure 7's POST /jobs per policy, way and round, set by its flag (QUICK has another).
FSYNC_JOBS = 30


def sieve_count(lo: int, hi: int) -> int:
    """Primes in [lo, hi) by the sieve of Eratosthenes: a reference apart from the kernel's code."""
    flags = bytearray([1]) * hi
    flags[:2] = b"\x00\x00"
    for p in range(2, int(hi**0.5) + 1):
        if flags[p]:
            flags[p * p :: p] = bytearray(len(range(p * p, hi, p)))
    return sum(flags[lo:hi])


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    require_tool("redis-server")
    reports = tmp_path_factory.mktemp("reports")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.tools.bench",
            "--quick",
            "--reports",
            str(reports),
            "--fsync-jobs",
            str(FSYNC_JOBS),
        ],
        capture_output=True,
        text=True,
        timeout=BACKSTOP_SECONDS,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [path] = reports.glob("bench-*.json")
    return json.loads(path.read_text()), result.stdout


def test_tiny_primes_reference() -> None:
    assert sieve_count(TINY_LO, TINY_HI) == TINY_PRIMES
    assert sieve_count(0, 100) == 25


def test_every_peer_ran_every_tiny_job_once_with_the_exact_answer(bench: tuple[dict[str, Any], str]) -> None:
    report, _ = bench
    for peer in PEERS:
        entry = report["overhead"][peer]
        assert entry["ran"] == [QUICK.overhead_jobs] * QUICK.rounds, peer
        assert entry["totals"] == [QUICK.overhead_jobs * TINY_PRIMES] * QUICK.rounds, peer
        assert entry["wrong"] == 0, peer


def test_stock_rq_and_the_peers_ran_every_cpu_job_exactly(bench: tuple[dict[str, Any], str]) -> None:
    report, _ = bench
    e = report["efficiency"]
    one_job = sieve_count(CPU_LO, CPU_LO + e["chunk_width"] * QUICK.efficiency_chunks)
    for run in e["stock"]["runs"]:  # stock RQ on the same chunks, its answers as RQ stored them
        assert run["jobs"] == QUICK.efficiency_jobs * QUICK.efficiency_chunks
        assert run["total"] == QUICK.efficiency_jobs * one_job
    for peer in PEERS:
        runs = e["peers"][peer]["runs"]
        assert len(runs) == QUICK.rounds, peer
        for run in runs:
            assert run["ran"] == QUICK.efficiency_jobs * QUICK.efficiency_chunks, peer
            assert run["total"] == QUICK.efficiency_jobs * one_job, peer
            assert run["wrong"] == 0, peer
    assert report["wrong_jobs"] == 0


def test_every_efficiency_run_is_timed_serially_before_and_after(bench: tuple[dict[str, Any], str]) -> None:
    """T1 of every run (ours, stock RQ, each peer): the mean of serial timings just before and just after."""
    e = bench[0]["efficiency"]
    runs = [r for t in ("local", "distributed", "hybrid", "hybrid-fat") for r in e[t]["runs"]] + e["stock"][
        "runs"
    ]
    runs += [r for peer in PEERS for r in e["peers"][peer]["runs"]]
    assert len(runs) == QUICK.rounds * (5 + len(PEERS))
    for run in runs:
        assert run["t1_before"] > 0 and run["t1_after"] > 0, run
        assert run["one_job"] == (run["t1_before"] + run["t1_after"]) / 2
        assert run["t1_seconds"] == run["one_job"] * QUICK.efficiency_jobs
        assert run["efficiency"] == run["t1_seconds"] / (2 * run["t_seconds"])


def test_the_peers_commands_are_their_brokers(bench: tuple[dict[str, Any], str]) -> None:
    """Counted in the timed window: each Celery message is taken by a BRPOP, each Dramatiq one acked by
    its script (EVALSHA).

    A BRPOP already blocked when the RENAME opens the window was counted when it was sent, before the
    window: at most one per worker process, so the bound for BRPOP is the jobs less the processes."""
    report, _ = bench
    o = report["overhead"]
    for peer, command, early in (
        ("celery-solo", "brpop", PEERS["celery-solo"].noop_processes),
        ("celery-prefork", "brpop", PEERS["celery-prefork"].noop_processes),
        ("dramatiq", "evalsha", 0),
    ):
        assert o[peer]["commands"].get(command, 0) >= QUICK.overhead_jobs - early, (peer, o[peer]["commands"])
        assert "rename" not in o[peer]["commands"]  # the bench's own reveal is not the peer's


def test_each_peer_has_its_figures(bench: tuple[dict[str, Any], str]) -> None:
    report, _ = bench
    sections = {s.title: s for s in SECTIONS.validate_python(report["sections"])}
    per_job = sections["1. per-job cost, tiny jobs"].figures
    efficiency = sections["2. parallel efficiency T1/(2T)"].figures
    for peer in PEERS.values():
        [cost] = [f for f in per_job if f.name.startswith(peer.label + ",")]
        [eff] = [f for f in efficiency if f.name.startswith(peer.label + ",")]
        assert cost.unit == "ms" and cost.value > 0 and len(cost.rounds) == QUICK.rounds
        assert eff.unit == "eff" and eff.value > 0 and len(eff.rounds) == QUICK.rounds
        assert "of ceiling" in eff.beside and "x ours" in cost.beside


def test_the_table_reads_one_figure_per_line_at_160_columns(bench: tuple[dict[str, Any], str]) -> None:
    report, _ = bench
    console = Console(record=True, width=160, file=io.StringIO(), color_system=None)
    render.render(report, console)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 160
    for section in SECTIONS.validate_python(report["sections"]):
        for f in section.figures:
            rows = [line for line in lines if f"│   {f.name} " in line]
            assert any(render.value(f.value, f.unit) in row for row in rows), (f.name, rows)


def test_the_cost_model_lines_are_settings_of_the_measured_values(bench: tuple[dict[str, Any], str]) -> None:
    report, stdout = bench
    measured = report["cost_model"]["measured"]
    pairs = [line.split("=") for line in report["cost_model"]["env_lines"]]
    settings = Settings(**{name.lower(): float(value) for name, value in pairs})
    assert {name.lower() for name, _ in pairs} == set(measured)
    for name, value in pairs:
        assert getattr(settings, name.lower()) == pytest.approx(measured[name.lower()], rel=5e-3)
        assert f"{name}={value}" in stdout


def test_every_chunk_job_of_ours_is_a_take_and_a_finish(bench: tuple[dict[str, Any], str]) -> None:
    """The breakdown of a chunk job's commands: its take and its finish, for a middle and a last chunk, and
    the only chunk of a job of one. The take rides on the finish before it (one round trip for the chunk)
    unless the worker's loop was due to check for `rq suspend` in between (at most once a second: two);
    which, the run's timing decides (tests/worker/queue/test_lean_own_entries.py pins both exactly)."""
    report, _ = bench
    chunks = report["chunk_commands"]["chunks"]
    assert [c["chunk"] for c in chunks] == ["middle", "last", "only"]
    shapes = {
        ("take (with the last finish)", "finish_take"): 1,
        ("take (with the last finish)", "finish"): 1,
        ("take", "finish_take"): 2,
        ("take", "finish"): 2,
    }
    for c in chunks:
        sent = tuple(t["sent"] for t in c["round_trips"])
        assert sent in shapes and c["trips"] == shapes[sent], c
        assert c["total"] == c["trips"] + sum(len(t["ran"]) for t in c["round_trips"]), c
        assert c["round_trips"][0]["ran"][:3] == ["SET", "LPOP", "HGETALL"], c


def test_figure_7_ran_each_policy_in_turn_and_kept_every_202(bench: tuple[dict[str, Any], str]) -> None:
    report, stdout = bench
    d = report["durability"]
    assert report["sizes"]["fsync_jobs"] == FSYNC_JOBS != QUICK.fsync_jobs
    assert d["config"] == {p: {"appendonly": "yes", "appendfsync": p} for p in POLICIES}
    assert [(r["round"], r["way"], r["policy"]) for r in d["runs"]] == [
        (i, w, p) for i in range(QUICK.fsync_rounds) for w in WAYS for p in POLICIES
    ]
    for run in d["runs"]:
        assert (run["jobs"], run["accepted"], run["records"], run["entries"]) == (FSYNC_JOBS,) * 4, run
    assert " ".join(report_durability.line(d).split()) in " ".join(stdout.split())
