"""`make sweep AXIS=data` against real containers, as a small smoke run (2 points of `work` and the primes
point beside them, 1 round): one dataset uploaded and deleted at the end, every answer exact, the
ceiling exact over the same bytes, every line at every point with its chunk size, every byte read once
per job, a sentence per line, the chart written. No speed is asserted."""

import json
import os
import re
from pathlib import Path

import httpx
import pytest

from services.tools import api_auth
from tests.e2e.conftest import compose
from tests.e2e.test_load_and_compare import PNG_MAGIC, make
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

LINES = ["local", "distributed", "hybrid"]
SIZE = 1 << 20


def test_make_sweep_axis_data(docker_client, tmp_path: Path) -> None:
    project = f"cpu-contrast-data-axis-{os.getpid()}"
    port = free_port()
    env = {"API_PORT": str(port), "COMPOSE_PROJECT_NAME": project}
    try:
        result = make(
            "sweep",
            env,
            "AXIS=data",
            "DATA_POINTS=2",
            "HEAVIEST=4",
            "DATA_MIB=1",
            "DATA_TASK=0.005",
            "DATA_JOBS=2",
            "SWEEP_SECONDS=0.5",
            "BUDGET=2",
            "ROUNDS=1",
            f"REPORTS={tmp_path}",
        )
        assert result.returncode == 0
        # The dataset the run uploaded is gone with it.
        (dataset,) = re.findall(r"dataset ([0-9a-f]{32}): ", result.stdout)
        gone = httpx.get(f"http://127.0.0.1:{port}/datasets/{dataset}", headers=api_auth.headers())
        assert gone.status_code == 404, gone.text
    finally:
        compose(project, "down", "-v", "--remove-orphans", "--timeout", "10", env={**os.environ, **env})
    assert not list(tmp_path.glob("sweep-*.json"))  # make results' task axis reads those: not this one
    (report,) = tmp_path.glob("data-axis-*.json")
    assert report.with_suffix(".png").read_bytes()[:8] == PNG_MAGIC
    sweep = json.loads(report.read_text())
    assert (sweep["axis"], sweep["dataset_bytes"]) == ("data", SIZE)
    assert [line["key"] for line in sweep["lines"]] == LINES
    points = sweep["points"]
    assert [p["work"] for p in points] == [None, 4, 0]  # primes beside the axis, then CPU- to I/O-heavy
    for point in points:
        ceiling = point["ceiling"]
        assert ceiling["rounds"] == ceiling["exact_rounds"] == len(ceiling["every_round"]) == 1, ceiling
        assert ceiling["every_round"][0]["task_size"] == point["chunk_size"]
        assert set(point["cells"]) == set(LINES)
        for key, cell in point["cells"].items():
            assert cell["exact"] == cell["jobs"] == point["jobs"] and cell["lost"] == 0, (key, cell)
            (only,) = cell["rounds"]
            assert only["chunk_sizes"] == [f"{point['chunk_size']} (fixed)"], (key, only["chunk_sizes"])
            if point["work"] is not None:
                # Every mode reads each byte of the dataset once per job; distributed pickles none.
                assert only["traffic"]["bytes_read"] == SIZE, (key, only["traffic"])
                assert key != "distributed" or only["traffic"]["bytes_pickled"] == 0
        assert set(point["per_task"]) == {"ceiling", *LINES}
    # Tasks of one duration (5 ms): 3 blocks at work 4 (1.43 ms each), 81 at work 0 (61 us each).
    assert [p["chunk_size"] for p in points[1:]] == [3, 81]
    said = [line for line in result.stdout.splitlines() if line.startswith("- ") and "CPU-heavy end" in line]
    assert len(said) == len(LINES), result.stdout
