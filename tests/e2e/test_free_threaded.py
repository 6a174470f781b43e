"""The free-threaded row's image and runner for real: the worker image built on CPython 3.14t (compose's
`worker-py314t`, profile py314t, on the base services/python314t/build.sh compiles with --disable-gil),
`python -m worker.ceiling --executor free-threaded` in it under a CPU quota as make compare runs it, every
answer exact and equal to the bare Pool's in the same image, and the GIL off: after the runner's imports,
and in its report. With the GIL forced on, the runner refuses. The RQ consumer's imports turn it back on
(hiredis), which is why the row runs the runner, as its note says.

Skipped, in CI too, where no CPython source can be had (none kept on this machine, python.org out of
reach): the script says why.
"""

import json
import os
import subprocess
from collections.abc import Iterator

import docker
import pytest

from services.tools.loadtest.compare.runtimes import RUNTIMES
from tests.e2e.conftest import REPO, compose
from tests.e2e.profile_images import ARGS, built, executor_against_the_pool, in_image
from tests.helpers import require

pytestmark = pytest.mark.e2e

BUILDER = REPO / "services" / "python314t" / "build.sh"


def base_image(project: str) -> str:
    """The free-threaded base the worker-py314t service builds on, as compose resolves it (.env)."""
    config = json.loads(compose(project, "--profile", "py314t", "config", "--format", "json"))
    return config["services"]["worker-py314t"]["build"]["args"]["PYTHON_IMAGE"]


@pytest.fixture(scope="module")
def py314t_image(docker_client: docker.DockerClient) -> Iterator[str]:
    """The worker-py314t image as make compare builds it, under a tag of ours; removed after. Its base is
    built first if missing, as the tools do (several minutes), when a CPython source can be had."""
    base = base_image(f"cpu-contrast-e2e-py314t-{os.getpid()}")
    if subprocess.run(["docker", "image", "inspect", base], capture_output=True).returncode != 0:
        check = subprocess.run(["bash", str(BUILDER), "--check", base], capture_output=True, text=True)
        why = check.stderr.strip()
        require(check.returncode == 0, f"a CPython source for {base} ({why})", ci_may_lack=True)
        subprocess.run(["bash", str(BUILDER), base], check=True, timeout=3600)
    with built("worker-py314t", "py314t", "WORKER_PY314T_IMAGE", "py314t") as image:
        yield image


# Every module the runner loads (worker.ceiling: the kernels and the stdlib), a RuntimeWarning made an
# error should one turn the GIL back on, then the build and the GIL as they are.
RUNNER_IMPORTS = """
import sys, sysconfig, warnings
warnings.simplefilter("error", RuntimeWarning)
import worker.ceiling, worker.runtimes.free_threaded, worker.shares
print(sys.version_info[:2], sysconfig.get_config_var("Py_GIL_DISABLED"), sys._is_gil_enabled())
"""
# The RQ consumer's own imports: redis-py loads hiredis, whose cp314t wheel has not declared that it runs
# without the GIL, so CPython turns the GIL back on (with a RuntimeWarning). Why the row runs worker.ceiling
# and not the consumer, as its note says; this fails the day hiredis declares it, to say the note is stale.
CONSUMER_IMPORTS = """
import sys, warnings
with warnings.catch_warnings(record=True) as said:
    warnings.simplefilter("always", RuntimeWarning)
    import worker.__main__
print(sys._is_gil_enabled(), [str(w.message).split("'")[1] for w in said if "GIL" in str(w.message)])
"""


def test_the_runner_loads_on_3_14t_and_leaves_the_gil_off(py314t_image: str) -> None:
    done = in_image(py314t_image, "python", "-c", RUNNER_IMPORTS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "(3, 14) 1 False", done.stdout


def test_the_rq_consumers_imports_turn_the_gil_back_on_through_hiredis_as_the_note_says(
    py314t_image: str,
) -> None:
    done = in_image(py314t_image, "python", "-c", CONSUMER_IMPORTS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "True ['hiredis.hiredis']", done.stdout
    assert "hiredis" in RUNTIMES["free-threaded"].note


def test_free_threaded_threads_give_the_bare_pools_exact_answers_with_the_gil_off(
    docker_client: docker.DockerClient, py314t_image: str
) -> None:
    ran = executor_against_the_pool(docker_client, py314t_image, "free-threaded")
    assert ran["gil_enabled"] is False, ran


def test_with_the_gil_forced_on_the_runner_refuses_and_says_why(py314t_image: str) -> None:
    command = ["python", "-m", "worker.ceiling", *ARGS, "--executor", "free-threaded"]
    done = in_image(py314t_image, *command, env=("PYTHON_GIL=1",))
    assert done.returncode == 2 and done.stdout == "", done
    assert "the GIL is on in this free-threaded CPython" in done.stderr, done.stderr


def test_the_labs_free_threading_experiment_runs_with_the_gil_off_every_total_exact(
    py314t_image: str,
) -> None:
    """The lab's lock-contention experiment in the 3.14t image: the build and the GIL as it saw them, every
    granularity's total exact (the lab exits 1 otherwise). Its speedups are the machine's: not asserted."""
    done = in_image(py314t_image, "python", "-m", "worker.lab", "--quick", "--only", "free-threading")
    assert done.returncode == 0, done.stdout + done.stderr
    said = [line.strip() for line in done.stdout.splitlines()]
    assert (
        "build: free-threaded (Py_GIL_DISABLED=1)" in said
        and "GIL: off (sys._is_gil_enabled() is False)" in said
    )
    assert len([line for line in said if line.startswith("✓")]) == 4, done.stdout
    # The summary table's row (rich, 80 columns wide when piped): what was measured, and 4 of 4 facts held.
    (row,) = [line for line in said if line.startswith("│ free-threading")]
    assert "GIL off: 2 threads" in row and "✓ 4/4" in row, row
