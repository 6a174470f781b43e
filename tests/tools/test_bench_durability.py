"""Figure 7's runner on real redis-servers and API processes: each server persists as asked, the runs go
in turn, and every 202 is in its Redis."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rq import Queue

from services.tools.bench import durability
from services.tools.bench.durability import POLICIES, WAYS
from shared.job_store import PREFIX
from tests.helpers import require_tool

pytestmark = pytest.mark.integration

JOBS, ROUNDS, CONCURRENCY = 12, 2, 4


@pytest.fixture(scope="module")
def measured(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, durability.Server], Path, list[dict[str, Any]]]]:
    require_tool("redis-server")
    folder = tmp_path_factory.mktemp("fsync")
    with durability.servers(folder, CONCURRENCY) as on:
        runs = durability.measure(on, folder, JOBS, ROUNDS, CONCURRENCY, lambda _: None)
        yield on, folder, runs


def test_each_redis_server_runs_the_aof_with_its_policy(measured: Any) -> None:
    on, folder, _ = measured
    for policy, server in on.items():
        assert server.connection.config_get("appendfsync") == {"appendfsync": policy}
        assert server.connection.config_get("appendonly") == {"appendonly": "yes"}
        assert server.connection.config_get("dir")["dir"] == str(folder / policy)
        assert server.connection.info("persistence")["aof_enabled"] == 1
        assert any((folder / policy).rglob("*.aof")), list((folder / policy).rglob("*"))


def test_runs_go_in_turn_everysec_then_always_in_each_round_and_way(measured: Any) -> None:
    _, _, runs = measured
    order = [(r["round"], r["way"], r["policy"]) for r in runs]
    assert order == [(i, w, p) for i in range(ROUNDS) for w in WAYS for p in POLICIES]


def test_every_run_counted_every_202_in_its_redis_and_its_aof(measured: Any) -> None:
    _, _, runs = measured
    for run in runs:
        assert (run["accepted"], run["records"], run["entries"]) == (JOBS, JOBS, JOBS), run
        assert run["aof_bytes"] > 0, run  # the jobs' writes went to that server's AOF


def test_the_last_runs_jobs_are_all_there(measured: Any) -> None:
    """Counted here apart from the runner: each Redis holds its last run's jobs, records and entries."""
    on, _, _ = measured
    for server in on.values():
        records = [k for k in server.connection.scan_iter(f"{PREFIX}*") if k.count(":") == 2]
        queue = Queue(durability.QUEUE, connection=server.connection)
        assert len(records) == JOBS
        assert server.connection.llen(queue.key) == JOBS
