"""The subinterpreters row's image and runner for real: the worker image built on CPython 3.14 (compose's
`worker-py314`, profile py314, from PYTHON314_IMAGE: `make offline-images`'s Debian sid stand-in, else the
official python:3.14-slim), `python -m worker.ceiling --executor interpreters` in it under a CPU quota as
make compare runs it, every answer exact and equal to the bare Pool's in the same image; and why the
share's code path had to shed pydantic: an isolated subinterpreter refuses to import pydantic_core.
"""

import json
from collections.abc import Iterator

import docker
import pytest

from tests.e2e.profile_images import built, executor_against_the_pool
from tests.e2e.profile_images import in_image as run_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def py314_image(docker_client: docker.DockerClient) -> Iterator[str]:
    """The worker-py314 image as make compare builds it, under a tag of ours; removed after."""
    with built("worker-py314", "py314", "WORKER_PY314_IMAGE", "py314") as name:
        yield name


def in_image(image: str, *command: str) -> str:
    done = run_in(image, *command)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_subinterpreters_in_the_py314_image_give_the_bare_pools_exact_answers(
    docker_client: docker.DockerClient, py314_image: str
) -> None:
    version = in_image(py314_image, "python", "-c", "import sys; print(sys.version_info[:2])")
    assert version.strip() == "(3, 14)", version
    executor_against_the_pool(docker_client, py314_image, "interpreters")


# In a fresh isolated subinterpreter (its own GIL, as InterpreterPoolExecutor makes them): what each import
# does, "ok" or the error's type and message.
PROBE = """
import json, sys
from concurrent import interpreters
said = {}
for module in sys.argv[1:]:
    interp = interpreters.create()
    try:
        interp.exec(f"import {module}")
        said[module] = "ok"
    except interpreters.ExecutionFailed as exc:
        said[module] = f"{exc.excinfo.type.__name__}: {exc.excinfo.msg}"
    finally:
        interp.close()
print(json.dumps(said))
"""


def test_the_shares_code_path_loads_in_a_subinterpreter_and_the_plans_does_not(py314_image: str) -> None:
    modules = ["worker.runtimes.interpreters", "worker.shares", "shared.kernels", "shared.plan"]
    said = json.loads(in_image(py314_image, "python", "-c", PROBE, *modules).strip().splitlines()[-1])
    assert {m: said[m] for m in modules[:3]} == dict.fromkeys(modules[:3], "ok"), said
    # The reason worker/shares.py imports the plan for its type only: pydantic_core refuses to load here.
    assert said["shared.plan"] != "ok" and "ImportError" in said["shared.plan"], said


def test_the_labs_interpreters_experiment_holds_its_facts_on_cpython_314(py314_image: str) -> None:
    """Start-up beside a thread and fork, and the same bytes to subinterpreters copied and as a shared
    memoryview: every checksum exact, computed in the other interpreters (the lab exits 1 on a fact that
    failed)."""
    said = in_image(py314_image, "python", "-m", "worker.lab", "--quick", "--only", "interpreters")
    for fact in (
        "every slice's checksum exact, copied and shared",
        "and through each way to the pool processes",
        "every slice ran in another interpreter than this one",
        "a memoryview is shareable as it is (no pickling)",
    ):
        assert f"✓ {fact}" in said, said
    assert "start-up: interpreter (create, run, close)" in said and "as memoryview (shared)" in said, said
    assert "fork Pool(2), shared_memory, by name" in said, said
