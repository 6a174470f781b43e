"""`python -m services.tools.bench --quick` runs end to end on host processes, peers included.

Every job of every runner is accounted for against counts and answers computed here independently
(a sieve), each peer has its figures, and the table reads one figure per line at 160 columns.
"""

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import redis
from rich.console import Console

from services.tools.bench import efficiency, render, report
from services.tools.bench.defaults import CPU_LO, QUICK, TINY_HI, TINY_LO
from services.tools.bench.durability import POLICIES, WAYS
from services.tools.bench.figures import SECTIONS, Figure, Section, Unit
from services.tools.bench.peers.runners import PEERS
from services.tools.bench.timing import Window
from shared.settings import Settings
from shared.tally import Tally
from tests.helpers import own_redis_client, require_tool

pytestmark = pytest.mark.integration

# A backstop for a stuck process, never a speed target: the quick bench takes a few minutes when busy.
BACKSTOP_SECONDS = 900
# Primes in [1000, 1100), counted by hand: 1009 1013 1019 1021 1031 1033 1039 1049 1051 1061 1063
# 1069 1087 1091 1093 1097.
TINY_PRIMES = 16
# Figure 7's POST /jobs per policy, way and round, set by its flag (QUICK has another).
FSYNC_JOBS = 30


# How a value cell shows each unit: its suffix, and what one shown unit is in the figure's own unit
# (seconds for times, a fraction for a share).
SHOWN: dict[Unit, tuple[str, float]] = {
    "ms": (" ms", 1e-3),
    "µs": (" µs", 1e-6),
    "ns": (" ns", 1e-9),
    "x": ("x", 1.0),
    "%": ("%", 1e-2),
    "eff": ("", 1.0),
    "/s": ("/s", 1.0),
    "n": ("", 1.0),
}


def read_back(cell: str, unit: Unit) -> tuple[float, float]:
    """The value a table cell shows, in the figure's unit, and half a step of its last digit shown."""
    suffix, scale = SHOWN[unit]
    text = cell.strip()
    assert text.endswith(suffix), (cell, unit)
    number = text[: len(text) - len(suffix)].replace(",", "")
    return float(number) * scale, 0.5 * 10.0 ** -len(number.partition(".")[2]) * scale


def figure_of(report: dict[str, Any], rounds: Sequence[float]) -> tuple[Section, Figure]:
    """The one figure whose rounds are these raw measurements, and its section: found by the data, not
    by a title."""
    found = [
        (s, f)
        for s in SECTIONS.validate_python(report["sections"])
        for f in s.figures
        if f.rounds == tuple(rounds)
    ]
    assert len(found) == 1, (rounds, found)
    return found[0]


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
        # One job's serial time lies between its two timings; T1, every job's, between those times the jobs.
        lo, hi = sorted((run["t1_before"], run["t1_after"]))
        assert lo <= run["one_job"] <= hi, run
        assert lo * QUICK.efficiency_jobs <= run["t1_seconds"] <= hi * QUICK.efficiency_jobs, run


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    yield from own_redis_client()


def test_efficiency_is_serial_time_over_twice_the_window(
    monkeypatch: pytest.MonkeyPatch, redis_client: redis.Redis
) -> None:
    """By hand: one job's chunks take 0.25 s serially before the run and 0.75 s after, so 0.5 s a job;
    3 jobs are T1 = 1.5 s of serial work; done in T = 1 s on 2 cores, the efficiency is 1.5 / 2 = 0.75."""
    timings = iter([0.25, 0.75] * 3)
    monkeypatch.setattr(efficiency, "serial", lambda work: (next(timings), Tally()))
    # No worker runs: each runner's timed window is 1 s.
    monkeypatch.setattr(
        efficiency, "timed_run", lambda conn, queue, ids, start, workers: Window(len(ids), 1.0)
    )
    monkeypatch.setattr(
        efficiency.overhead, "stock", lambda conn, url, work, *rest: (Window(len(work), 1.0), 0)
    )
    monkeypatch.setattr(efficiency.measure, "cpu", lambda *args: {"t_seconds": 1.0})
    runs = [
        efficiency.one_run(redis_client, "", "distributed", 1000, 3, 2, "hand"),
        efficiency.stock_run(redis_client, "", 1000, 3, 2, "hand"),
        efficiency.peer_run(redis_client, "", "dramatiq", 1000, 3, 2, "hand"),
    ]
    for run in runs:
        assert (run["t1_before"], run["t1_after"], run["one_job"]) == (0.25, 0.75, 0.5), run
        assert (run["t1_seconds"], run["efficiency"]) == (1.5, 0.75), run


def test_each_run_stands_beside_the_ceiling_of_its_own_round(monkeypatch: pytest.MonkeyPatch) -> None:
    """By hand: the bare forks reach 0.8 in round 1 and 0.5 in round 2 (the machine slowed down); every
    runner's efficiency is 0.4 in both, so its share is 0.5 of round 1's ceiling and 0.8 of round 2's,
    median 0.65; a share against the ceilings' median (0.65) would read 0.4 / 0.65 = 0.615 instead."""
    ceilings = iter([0.8, 0.5])
    monkeypatch.setattr(efficiency, "calibrate", lambda: 1000)
    monkeypatch.setattr(efficiency, "ceiling", lambda work: next(ceilings))
    run = {"efficiency": 0.4, "wrong": 0, "distinct_pids": 1, "expected_pids": 2}
    monkeypatch.setattr(efficiency, "one_run", lambda *args: dict(run))
    monkeypatch.setattr(efficiency, "stock_run", lambda *args: dict(run))
    monkeypatch.setattr(efficiency, "peer_run", lambda *args: dict(run))
    out = efficiency.run(None, "", 3, 2, 2, lambda line: None)
    assert out["ceiling_rounds"] == [0.8, 0.5]
    assert out["ceiling"] == pytest.approx(0.65)
    results = [out[t] for t in efficiency.TOPOLOGIES] + [out["stock"], *out["peers"].values()]
    assert len(results) == len(efficiency.TOPOLOGIES) + 1 + len(PEERS)
    for result in results:
        assert [r["of_ceiling"] for r in result["runs"]] == pytest.approx([0.5, 0.8])
        assert (result["efficiency"], result["of_ceiling"]) == pytest.approx((0.4, 0.65))


def test_a_report_from_before_the_per_round_ceiling_still_renders() -> None:
    """make results renders the newest bench report with today's code: an older one has one ceiling
    (0.8) and medians only, so each share is its median over that ceiling (0.6 / 0.8 = 75.0 %)."""
    old = {
        "efficiency": 0.6,
        "runs": [{"efficiency": 0.6, "wrong": 0, "distinct_pids": 2, "expected_pids": 2}],
    }
    e = {"ceiling": 0.8, "jobs": 2, "chunks_per_job": 8, "chunk_seconds": 0.02}
    e |= {t: {**old, "layout": "1 worker(s) x pool 2"} for t in efficiency.TOPOLOGIES}
    e |= {"stock": old, "peers": dict.fromkeys(PEERS, old)}
    others = {"overhead": {p: {"wrong": 0} for p in PEERS}, "api": {"jobs": 0, "exact": 0}}
    section = report.parallel({"efficiency": e, **others})
    ceiling, *rows = section.figures
    assert ceiling.value == 0.8
    shares = [f.beside for f in rows if f.beside]
    assert shares == ["75.0% of its round's ceiling"] * (len(efficiency.TOPOLOGIES) + 1 + len(PEERS))


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
    """Each peer's per-job cost and efficiency figures hold its own measurements, and their values are the
    medians its runner took (timing.summary, efficiency.run), apart from the table's records."""
    report, _ = bench
    o, e = report["overhead"], report["efficiency"]
    for key, peer in PEERS.items():
        _, cost = figure_of(report, o[key]["rounds"])
        _, eff = figure_of(report, [run["efficiency"] for run in e["peers"][key]["runs"]])
        assert cost.name.startswith(peer.label + ",") and eff.name.startswith(peer.label + ",")
        assert (cost.unit, cost.value, len(cost.rounds)) == ("ms", o[key]["per_job_seconds"], QUICK.rounds)
        assert (eff.unit, eff.value, len(eff.rounds)) == ("eff", e["peers"][key]["efficiency"], QUICK.rounds)
        # What each stands beside, read back: its share of the ceiling, its cost over ours.
        share = float(re.search(r"([\d.]+)% of its round's ceiling", eff.beside)[1]) / 100
        assert share == pytest.approx(e["peers"][key]["of_ceiling"], abs=5e-4), eff.beside
        ratio = float(re.search(r"([\d.]+)x ours", cost.beside)[1])
        assert ratio == pytest.approx(cost.value / o["ours"]["per_job_seconds"], abs=5e-3), cost.beside


def test_the_table_reads_one_figure_per_line_at_160_columns(bench: tuple[dict[str, Any], str]) -> None:
    report, _ = bench
    console = Console(record=True, width=160, file=io.StringIO(), color_system=None)
    render.render(report, console)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 160
    rows = [line.split("│") for line in lines]
    names = [row[1].strip() if len(row) > 2 else None for row in rows]
    sections = SECTIONS.validate_python(report["sections"])
    starts = [names.index(section.title) for section in sections]
    for section, start, end in zip(sections, starts, [*starts[1:], len(rows)], strict=True):
        for f in section.figures:
            # The value column of the figure's one row in its section, read back: the figure's value to
            # the digits shown.
            [cell] = [
                row[2] for row, name in zip(rows[start:end], names[start:end], strict=True) if name == f.name
            ]
            shown, half = read_back(cell, f.unit)
            assert abs(shown - f.value) <= half * (1 + 1e-9), (f, cell)


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
    the only chunk of a job of one. The take rides on an earlier finish (one round trip for the chunk)
    unless the worker's loop was due to check for `rq suspend` in between (at most once a second: two);
    which, the run's timing decides (tests/worker/queue/test_lean_own_entries.py pins both exactly)."""
    report, _ = bench
    chunks = report["chunk_commands"]["chunks"]
    assert [c["chunk"] for c in chunks] == ["middle", "last", "only"]
    shapes = {
        ("take (with an earlier finish)", "finish_take"): 1,
        ("take (with an earlier finish)", "finish"): 1,
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
    # The figure's note is printed, and its sentence (worded as tests/tools/test_bench_durability_report.py
    # checks) gives the concurrent rates of this run: each policy's median, so within its rounds' range.
    concurrent = {
        p: [r["jobs_per_second"] for r in d["runs"] if (r["way"], r["policy"]) == ("concurrent", p)]
        for p in POLICIES
    }
    section, _ = figure_of(report, concurrent["always"])
    printed = " ".join(stdout.split())
    assert " ".join(section.note.split()) in printed
    said = re.search(
        r"REDIS_APPENDFSYNC=always accepts ([\d,]+) jobs/s against ([\d,]+) with everysec", printed
    )
    assert said is not None, section.note
    for policy, shown in zip(("always", "everysec"), said.groups(), strict=True):
        rates = concurrent[policy]
        assert min(rates) - 0.5 <= float(shown.replace(",", "")) <= max(rates) + 0.5, (policy, shown, rates)
