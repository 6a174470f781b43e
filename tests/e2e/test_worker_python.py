"""The unit, pool and worker tests, run inside the worker image on its own Python (3.13), not the host's.

The host runs the suite on its Python (3.11); the workers run on the image's. Both sides lean on CPython
internals (QuietPool, worker.pool.health), so the tests of the worker's code run here again in a
test image: the worker image as compose builds it, plus pytest, the tests and the host-side modules
they import (tests/e2e/worker_python/Dockerfile). Its code under test is the image's /app.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from tests.e2e.conftest import REPO, compose
from tests.helpers import require

pytestmark = pytest.mark.e2e

DOCKERFILE = Path(__file__).parent / "worker_python" / "Dockerfile"
# The test image's build context: its Dockerfile plus these (tests/ minus bytecode).
CONTEXT = [
    "pyproject.toml",
    "requirements-dev.txt",
    "services/__init__.py",
    "services/api",
    "services/tools/__init__.py",
    "services/tools/local_stack.py",
    "services/tools/redis_monitor.py",
    "services/tools/redis_stats.py",
    "services/tools/waiting.py",
    "tests",
]
UNIT = ["-m", "not integration and not e2e", "tests/shared", "tests/worker"]
# The worker's integration tests that need only a redis-server (and the API, started here too).
INTEGRATION = [
    "-m",
    "integration",
    "tests/worker/queue/test_lean_worker.py",
    "tests/worker/queue/test_faults.py",
]
# The containers' CPU limit: another suite or a benchmark may be using the machine.
CPUS = "1"
RUN_TIMEOUT = 420


def image_python() -> str:
    """The Python version the worker image is meant to run: the default PYTHON_IMAGE's tag."""
    found = re.search(r"^ARG PYTHON_IMAGE=python:(\d+\.\d+)", (REPO / "worker/Dockerfile").read_text(), re.M)
    assert found, "worker/Dockerfile no longer names its python:X.Y base"
    return found.group(1)


@pytest.fixture(scope="module")
def test_image(docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The worker image (built by compose, under a tag of ours) with the tests on top; removed after."""
    name = f"cpu-contrast-e2e-py-{os.getpid()}"
    worker_image, image = f"{name}-worker", f"{name}-tests"
    context = tmp_path_factory.mktemp("worker-python-context")
    shutil.copy(DOCKERFILE, context / "Dockerfile")
    for item in CONTEXT:
        source, target = REPO / item, context / item
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, target)
    try:
        compose(name, "build", "worker", env={**os.environ, "WORKER_IMAGE": worker_image})
        build = subprocess.run(
            ["docker", "build", "-q", "--build-arg", f"WORKER_IMAGE={worker_image}", "-t", image]
            + [str(context)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert build.returncode == 0, f"test image build failed:\n{build.stdout}\n{build.stderr}"
        yield image
    finally:
        # Our tags only: an image that another tag shares is untagged, not deleted.
        subprocess.run(["docker", "image", "rm", image, worker_image], capture_output=True)


@dataclass
class Run:
    returncode: int
    output: str
    version: str
    tests: int
    failures: int
    errors: int
    skipped: list[str]
    seconds: float


def run_tests(image: str, out: Path, pytest_args: list[str]) -> Run:
    """pytest inside the image, as its own user and Python, limited to CPUS; counts from its JUnit XML."""
    out.mkdir()
    out.chmod(0o777)  # the image's unprivileged user writes the report
    container = f"{image}-{out.name}"
    script = (
        "python -c \"import sys; print('python', sys.version)\" && exec python -m pytest -p no:cacheprovider "
        f"-q -rs --junitxml=/out/junit.xml {shlex.join(pytest_args)}"
    )
    command = ["docker", "run", "--rm", "--name", container, "--cpus", CPUS, "-v", f"{out}:/out", image]
    start = time.monotonic()
    try:
        done = subprocess.run(
            [*command, "sh", "-c", script], capture_output=True, text=True, timeout=RUN_TIMEOUT
        )
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)  # after a timeout
    seconds = time.monotonic() - start
    output = done.stdout + done.stderr
    print(output)
    version = re.search(r"^python (\S+)", output, re.M)
    assert version, f"no python version printed:\n{output}"
    report = out / "junit.xml"
    assert report.exists(), f"pytest wrote no report (exit {done.returncode}):\n{output}"
    suite = ET.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    skipped = [
        f"{case.get('classname')}.{case.get('name')}"
        for case in suite.iter("testcase")
        if case.find("skipped") is not None
    ]
    return Run(
        done.returncode,
        output,
        version.group(1),
        int(suite.get("tests")),
        int(suite.get("failures")),
        int(suite.get("errors")),
        skipped,
        seconds,
    )


def host_selection(pytest_args: list[str]) -> list[str]:
    """The test ids this selection collects here on the host, for the count the image must run."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q", *pytest_args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if "::" in line]


def check(run: Run, expected: list[str]) -> None:
    assert run.version.startswith(image_python() + "."), f"the image runs Python {run.version}"
    # Exit 5 (nothing collected) fails here too, as does a module that no longer imports.
    assert run.returncode == 0, f"pytest exited {run.returncode} in the image:\n{run.output[-6000:]}"
    assert (run.failures, run.errors) == (0, 0)
    assert run.tests == len(expected) > 0, f"{run.tests} tests ran in the image, {len(expected)} here"
    passed = run.tests - len(run.skipped)
    print(f"Python {run.version}: {passed} passed, {len(run.skipped)} skipped in {run.seconds:.0f}s")


def test_unit_pool_and_lab_tests_pass_on_the_worker_images_python(test_image: str, tmp_path: Path) -> None:
    run = run_tests(test_image, tmp_path / "unit", UNIT)
    check(run, host_selection(UNIT))
    assert not run.skipped, f"skipped in the image: {run.skipped}"


def test_worker_integration_tests_pass_on_the_worker_images_python(test_image: str, tmp_path: Path) -> None:
    probe = subprocess.run(["docker", "run", "--rm", test_image, "sh", "-c", "command -v redis-server"])
    # In CI a missing redis-server fails this test rather than skipping the worker's integration tests.
    require(
        probe.returncode == 0,
        "redis-server in the worker test image (tests/e2e/worker_python/Dockerfile: apt found none)",
    )
    run = run_tests(test_image, tmp_path / "integration", INTEGRATION)
    check(run, host_selection(INTEGRATION))
    assert not run.skipped, f"skipped in the image: {run.skipped}"
