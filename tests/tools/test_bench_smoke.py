"""`python -m services.tools.bench --quick` runs end to end on host processes and writes its JSON report."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.settings import Settings
from tests.helpers import require_tool

pytestmark = pytest.mark.integration


def test_quick_bench_runs_and_writes_its_report(tmp_path: Path) -> None:
    require_tool("redis-server")
    result = subprocess.run(
        [sys.executable, "-m", "services.tools.bench", "--quick", "--reports", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [path] = tmp_path.glob("bench-*.json")
    report = json.loads(path.read_text())
    assert report["targets"]["every job finished with the exact answer"]
    for figure in (
        "overhead",
        "efficiency",
        "aggregation",
        "enqueue",
        "pools",
        "api",
        "cost_model",
        "watchers",
    ):
        assert figure in report
    assert report["overhead"]["ours"]["per_job_seconds"] > 0
    # Every chunk job of ours: two round trips, its take and its finish (the commands each ran beside them).
    chunks = report["chunk_commands"]["chunks"]
    assert [c["chunk"] for c in chunks] == ["middle", "last"]
    assert all([t["sent"] for t in c["round_trips"]] == ["take", "finish"] for c in chunks)
    assert "targets" in result.stdout
    # The cost model's coefficients, measured here, printed as the settings lines for .env.
    measured = report["cost_model"]["measured"]
    assert set(measured) == {
        "cost_primes_unit_seconds",
        "cost_primes_trial_seconds",
        "cost_pi_sample_seconds",
    }
    lines = [f"{name.upper()}={value:.3g}" for name, value in measured.items()]
    assert report["cost_model"]["env_lines"] == lines
    assert all(line in result.stdout for line in lines)
    Settings(**{name: float(value) for name, value in (line.lower().split("=") for line in lines)})
