"""`make sweep` against real containers, as a small smoke run (2 points, 1 round, 2 jobs): every answer
exact, every line at every point with its task size and the cores' accounting (the lines in one
container, threads and a ProcessPoolExecutor, with the ceiling's very tasks), every round kept, the
chart written, and `make results` carrying the sentences into the README. No speed is asserted."""

import json
import os
from pathlib import Path

import pytest

from services.tools.loadtest.accounting import LINES
from services.tools.sweep.lines import IN_ONE_DEFAULT, KEYS
from tests.e2e.conftest import compose
from tests.e2e.test_load_and_compare import PNG_MAGIC, make, make_results
from tests.helpers import free_port

pytestmark = pytest.mark.e2e


def test_make_sweep(docker_client, tmp_path: Path) -> None:
    project = f"cpu-contrast-sweep-{os.getpid()}"
    env = {"API_PORT": str(free_port()), "COMPOSE_PROJECT_NAME": project}
    try:
        result = make(
            "sweep",
            env,
            "POINTS=2",
            "SHORTEST=0.005",
            "LONGEST=0.05",
            "SWEEP_JOBS=2",
            "SWEEP_SECONDS=0.5",
            "BUDGET=2",
            "ROUNDS=1",
            f"REPORTS={tmp_path}",
        )
        assert result.returncode == 0
    finally:
        compose(project, "down", "-v", "--remove-orphans", "--timeout", "10", env={**os.environ, **env})
    (sweep_file,) = tmp_path.glob("sweep-*.json")
    assert sweep_file.with_suffix(".png").read_bytes()[:8] == PNG_MAGIC
    sweep = json.loads(sweep_file.read_text())
    assert [line["key"] for line in sweep["lines"]] == [*KEYS, *IN_ONE_DEFAULT]
    points = sweep["points"]
    # Log-spaced from 5 to 50 ms. Each point holds 0.5 s x 2 CPUs of work in 2 jobs: 100 tasks a job of
    # 5 ms, and 10 of 50 ms, which are fewer than 24 tasks in all (--min-tasks' default): 12 a job there.
    assert [p["seconds"] for p in points] == pytest.approx([0.005, 0.05])
    assert [p["tasks_per_job"] for p in points] == [100, 12]
    for point in points:
        ceiling = point["ceiling"]
        assert ceiling["rounds"] == ceiling["exact_rounds"] == len(ceiling["every_round"]) == 1
        assert ceiling["every_round"][0]["task_size"] == point["chunk_size"]
        # The task duration run: the kernels' CPU per task, one figure per line and round.
        assert point["task_seconds"]["n"] == len(KEYS) and point["task_seconds"]["median"] > 0
        assert set(point["cells"]) == set(KEYS)
        for key, cell in point["cells"].items():
            assert cell["exact"] == cell["jobs"] == 2 and cell["lost"] == 0, (key, cell)
            (only,) = cell["rounds"]
            # Every job ran with the point's chunk size, as the request fixed it.
            assert only["chunk_sizes"] == [f"{point['chunk_size']} (fixed)"], (key, only["chunk_sizes"])
            assert (
                only["of_ceiling"] == only["jobs_per_second"] / ceiling["every_round"][0]["jobs_per_second"]
            )
            assert set(only["accounting"]) == set(LINES)
            assert abs(sum(only["accounting"].values()) - 1) < 0.01, only["accounting"]
            assert Path(only["report"]).is_file()
        # In one container: the ceiling's very tasks on threads and a ProcessPoolExecutor, exact.
        assert set(point["runtimes"]) == set(IN_ONE_DEFAULT)
        for key, row in point["runtimes"].items():
            assert row["exact"] == row["jobs"] == 2, (key, row)
            (only,) = row["rounds"]
            assert only["run"]["task_size"] == point["chunk_size"] and only["run"]["exact"], (key, only)
            if key == "interpreters":
                # Another Python (3.14): read against a bare Pool in its own image, that round.
                assert only["of_ceiling"] > 0, only
                continue
            assert (
                only["of_ceiling"]
                == only["run"]["jobs_per_second"] / ceiling["every_round"][0]["jobs_per_second"]
            )
        # Each line's CPU per task, from its rounds' accounting: the kernel's, and the apparatus's lines.
        assert set(point["per_task"]) == {"ceiling", *KEYS, *IN_ONE_DEFAULT}
        for key, spent in point["per_task"].items():
            assert set(spent) == set(LINES) and spent["kernels"]["median"] > 0, (key, spent)
        assert point["cells"]["peer"]["worker_class"] == "simple"
        assert point["cells"]["hybrid"]["layout"] == "1 x 2 CPU, pool 2"
    # A sentence per line, printed and carried into the README by make results.
    said = [line for line in result.stdout.splitlines() if line.startswith("- ") and "90 % of the" in line]
    assert len(said) == len(KEYS) + len(IN_ONE_DEFAULT), result.stdout
    block = make_results(tmp_path, env).read_text()
    assert "(docs/sweep.png)" in block and (tmp_path / "docs" / "sweep.png").read_bytes()[:8] == PNG_MAGIC
    assert [line for line in block.splitlines() if line.startswith("- ")] == said
