"""`make load-test` and `make compare` against real containers: every job exact, every job accounted for,
report files written, and a CPU series for every worker container."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, Stack, compose
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make(
    target: str, env: dict[str, str], *variables: str, timeout: float = 900
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["make", "--no-print-directory", target, *variables],
        cwd=REPO,
        env={**os.environ, **env, "COLUMNS": "160"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    print(result.stdout[-6000:], result.stderr[-3000:])
    return result


def assert_report_covers_workers(report: dict, worker_names: set[str], worker_hosts: set[str]) -> None:
    assert report["exact"] == report["submitted"] == report["workload"]["jobs"]
    assert report["lost"] == 0 and report["wrong"] == 0
    docker_series = {name: points for name, points in report["series"]["docker"].items() if points}
    assert worker_names <= set(docker_series), (worker_names, set(docker_series))
    self_series = {host: points for host, points in report["series"]["self"].items() if points}
    assert worker_hosts <= set(self_series), (worker_hosts, set(self_series))
    assert report["efficiency"] and report["efficiency"] > 0
    assert Path(report["files"]["png"]).read_bytes()[:8] == PNG_MAGIC


def test_make_load_test(stack: Stack, tmp_path: Path) -> None:
    env = {"API_PORT": stack.api.base_url.port.__str__(), "COMPOSE_PROJECT_NAME": stack.project}
    result = make(
        "load-test", env, "JOBS=8", "SIZE=300000", "CONCURRENCY=4", "MODE=distributed", f"REPORTS={tmp_path}"
    )
    assert result.returncode == 0
    (report_file,) = tmp_path.glob("loadtest-*.json")
    report = json.loads(report_file.read_text())
    workers = stack.containers("worker")
    assert_report_covers_workers(
        report, {c.name for c in workers}, {c.attrs["Config"]["Hostname"] for c in workers}
    )
    assert report["workload"]["mode"] == "distributed"
    assert "CPU % per container" in result.stdout


def test_make_compare(docker_client, tmp_path: Path) -> None:
    project = f"cpu-contrast-compare-{os.getpid()}"
    env = {"API_PORT": str(free_port()), "COMPOSE_PROJECT_NAME": project}
    try:
        result = make(
            "compare",
            env,
            "COMPARE_JOBS=4",
            "SIZE=1000000",
            "CONCURRENCY=2",
            "MODES=local,hybrid",
            "BUDGET=2",
            f"REPORTS={tmp_path}",
        )
        assert result.returncode == 0
    finally:
        compose(project, "down", "-v", "--remove-orphans", "--timeout", "10", env={**os.environ, **env})
    (compare_file,) = tmp_path.glob("comparison-*.json")
    assert (tmp_path / compare_file.name.replace(".json", ".png")).read_bytes()[:8] == PNG_MAGIC
    rows = json.loads(compare_file.read_text())["rows"]
    assert [(r["topology"], r["mode"]) for r in rows] == [
        ("fat", "local"),
        ("fat", "hybrid"),
        ("thin", "local"),
        ("thin", "hybrid"),
    ]
    assert all(r["exact"] == r["jobs"] == 4 and r["lost"] == 0 for r in rows)
    for r in rows:
        report = json.loads(Path(r["report"]).read_text())
        workers = [c for c in report["cpu"]["containers"] if c["service"] == "worker"]
        assert len(workers) == (1 if r["topology"] == "fat" else 2)
        assert_report_covers_workers(report, {c["name"] for c in workers}, {c["hostname"] for c in workers})
