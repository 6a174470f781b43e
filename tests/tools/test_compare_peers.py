"""make compare's queue peers: their work is our distributed plan's chunks and merges to the exact answer,
their processes come from the quota unless PEER_PROCESSES says otherwise, their rounds summarise to
medians, read back from a report and show in the table; their Redis URL is ours on PEER_REDIS_DB."""

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from services.peers.chunks import job_chunks, merged, run_chunk
from services.tools.loadtest.chart import comparison_chart
from services.tools.loadtest.compare import rows
from services.tools.loadtest.compare.peers import PEERS, chosen, processes_each, summarise_peer
from services.tools.loadtest.compare.render import render
from services.tools.loadtest.compare.summary import summarise_ceiling
from services.tools.loadtest.topologies import Topology, topologies
from services.tools.loadtest.workload import Workload
from shared.jobs import job_params, parse_job
from shared.plan import plan_job
from shared.settings import Settings, get_settings

# Enough work for the plan's automatic sizing to cut a job into several chunks; a fraction of a second.
SIZE = 300_000


@pytest.fixture(autouse=True)
def default_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The defaults, whatever this shell's environment sets."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_peers_jobs_are_our_distributed_chunks_merged_to_the_exact_answer() -> None:
    chunks = job_chunks("primes", SIZE)
    job = parse_job({"kernel": "primes", "params": job_params("primes", SIZE), "mode": "distributed"})
    assert chunks == plan_job(job).entries and len(chunks) > 1
    assert chunks[0][0] == 0 and chunks[-1][1] == SIZE
    assert all(hi == lo for (_, hi), (lo, _) in zip(chunks, chunks[1:], strict=False))
    answers = [run_chunk("primes", SIZE, lo, hi) for lo, hi in chunks * 2]
    exact = Workload("primes", SIZE, 2, 1).expected()
    assert merged(answers, len(chunks)) == [exact, exact]
    # One chunk's answer off by one: that job, and only it, is wrong.
    count, histogram = answers[-1]
    wrong = merged([*answers[:-1], (count + 1, histogram)], len(chunks))
    assert wrong[0] == exact and wrong[1] != exact


def test_peers_are_chosen_in_their_order_and_an_unknown_one_refused() -> None:
    assert [p.key for p in chosen(["dask", "celery"])] == ["celery", "dask"]
    assert list(PEERS) == ["celery", "dramatiq", "dask"]
    with pytest.raises(ValueError, match="celery, dramatiq, dask"):
        chosen(["celery", "huey"])


def test_processes_per_container_from_the_quota_unless_peer_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fat, thin = topologies(3)
    halves = Topology("halves", 2, 1.5, 1)
    assert [processes_each(t) for t in (fat, thin, halves)] == [3, 1, 2]  # 1.5 CPUs: 2 processes
    rounds = [peer_round(2.0)]
    assert "concurrency 1 from the quota" in summarise_peer(PEERS["celery"], thin, 16, rounds).note
    assert summarise_peer(PEERS["dask"], thin, 16, rounds).layout == "3 x 1 CPU, 1 process x 1 thread"
    monkeypatch.setenv("PEER_PROCESSES", "4")
    get_settings.cache_clear()
    assert [processes_each(t) for t in (fat, thin)] == [4, 4]
    summary = summarise_peer(PEERS["dramatiq"], thin, 16, rounds)
    assert summary.layout == "3 x 1 CPU, 4 processes x 1 thread"
    assert "4 processes from PEER_PROCESSES" in summary.note and "the host's 16 CPUs" in summary.note


def peer_round(jobs_per_second: float, exact: bool = True) -> rows.PeerRound:
    """2 jobs on 2 containers of 1 CPU, beside a ceiling of 4 jobs/s."""
    wall = 2 / jobs_per_second
    return rows.PeerRound(
        round=0,
        jobs=2,
        exact=exact,
        processes={"a": 1, "b": 1},
        chunks_per_job=4,
        wall_seconds=wall,
        jobs_per_second=jobs_per_second,
        of_ceiling=jobs_per_second / 4,
        efficiency=jobs_per_second * 0.5 / 2,
        workers_cpu_seconds={"a": 0.9, "b": 0.9},
        cores=1.8 / wall,
        throttling=rows.Throttled(20, 5, 0.25, 0.1),
    )


def test_a_peer_over_its_rounds_read_back_and_shown(tmp_path: Path) -> None:
    _, thin = topologies(2)
    summary = summarise_peer(PEERS["celery"], thin, 2, [peer_round(1.0), peer_round(3.0), peer_round(2.0)])
    assert (summary.key, summary.topology, summary.layout) == (
        "celery thin",
        "thin",
        "2 x 1 CPU, prefork -c 1",
    )
    assert summary.jobs == summary.exact == 6 and summary.all_exact
    assert summary.jobs_per_second == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert summary.of_ceiling == {"median": 0.5, "min": 0.25, "max": 0.75, "n": 3}
    ceiling = rows.CeilingRound(2, 2, 8, 0.5, 4.0, 7, [1] * 10, True, 0.5)
    result = rows.Comparison(
        "t",
        2,
        rows.WorkloadShape("primes", 1000, 2, 2),
        summarise_ceiling([ceiling]),
        rows.Baselines([rows.Baseline("worker image, 1 CPU", 0.5, 2000.0)]),
        [],
        peers=[summary],
    )
    assert rows.load(result.as_json()) == result and result.all_exact
    out = io.StringIO()
    render(result, Console(file=out, width=300))
    (line,) = [line for line in out.getvalue().splitlines() if "thin Celery prefork" in line]
    assert "2 x 1 CPU, prefork -c 1" in line and "6/6" in line and "25.0" in line
    # The chart draws its bar beside the cells' (a report without peers draws none: test_compare_runtimes).
    assert comparison_chart(result, tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # One round wrong: its jobs are not counted exact, and the comparison is not exact.
    wrong = summarise_peer(PEERS["celery"], thin, 2, [peer_round(1.0), peer_round(2.0, exact=False)])
    assert (wrong.jobs, wrong.exact) == (4, 2)
    assert not rows.Comparison(**{**result.__dict__, "peers": [wrong]}).all_exact


def test_the_peers_redis_url_is_ours_on_their_database(tmp_path: Path) -> None:
    secret = tmp_path / "redis-password"
    secret.write_text("s3cret\n")
    settings = Settings(redis_url="redis://redis:6379/0", redis_password_file=str(secret), peer_redis_db=3)
    assert settings.peer_redis_url() == "redis://:s3cret@redis:6379/3"
    assert Settings(redis_url="redis://localhost:6379/0").peer_redis_url() == "redis://localhost:6379/1"
