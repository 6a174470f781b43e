"""CpuSampler and `python -m services.tools.monitor.stats` on real containers: one busy at 0.5 CPU, one idle;
and CFS throttling, as our cgroup reading and Docker's `throttling_data` see it, on a container that
wants more than its quota and one that wants less.

The containers carry compose labels of a project of their own, so the sampler treats them as a
stack; they are always removed afterwards, and nothing else on the engine is touched.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
from docker.models.containers import Container

from services.tools.monitor.cgroups import CgroupMeter, throttled_between
from services.tools.monitor.docker_cpu import CpuSampler
from services.tools.monitor.docker_frames import read_time, throttling_data
from services.tools.stack import PROJECT_LABEL, SERVICE_LABEL, label_filter
from tests.helpers import require, sigint_default, wait_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# The image the stack's Python services build from; the offline stand-in when .env is not loaded.
IMAGE = os.environ.get("PYTHON_IMAGE") or "cpu-contrast/offline-base:trixie"
BUSY_NANO_CPUS = 500_000_000
BUSY = ["python3", "-c", "while True: pass"]
IDLE = ["python3", "-c", "import time; time.sleep(10**6)"]
# Two busy processes: a container that wants 2 CPUs.
TWO_BUSY = ["python3", "-c", "import os\nos.fork()\nwhile True: pass"]
# Far below what it wants (5 ms of each 100 ms period): its quota runs out early in a period even when
# other work keeps the host's cores busy and the container gets only a slice of them.
OVER_NANO_CPUS = 50_000_000
# The kernel's default CFS period is 100 ms: at most this many periods a second.
PERIODS_PER_SECOND = 10


@pytest.fixture(scope="module")
def client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException:
        require(False, "a Docker engine")
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        require(False, f"the image {IMAGE} (`make offline-images`)")
    yield client
    client.close()


@pytest.fixture(scope="module")
def project(client: docker.DockerClient) -> Iterator[str]:
    """A compose-labelled project of two containers, busy (0.5 CPU) and idle; removed afterwards."""
    name = f"cpu-monitor-test-{uuid.uuid4().hex[:8]}"
    try:
        start(client, name, "busy", BUSY, nano_cpus=BUSY_NANO_CPUS)
        start(client, name, "idle", IDLE)
        yield name
    finally:
        remove_project(client, name)


def start(
    client: docker.DockerClient, project: str, service: str, command: list[str], **kwargs: object
) -> Container:
    """Run a container labelled as compose would label `service` of `project`."""
    return client.containers.run(
        IMAGE,
        command,
        name=f"{project}-{service}-1",
        labels={PROJECT_LABEL: project, SERVICE_LABEL: service},
        detach=True,
        **kwargs,
    )


def remove_project(client: docker.DockerClient, project: str) -> None:
    """Remove every container of the test project, running or not (and only those)."""
    for container in client.containers.list(all=True, filters={"label": label_filter(project)}):
        container.remove(force=True)


def hostname(client: docker.DockerClient, project: str, service: str) -> str:
    return client.containers.get(f"{project}-{service}-1").attrs["Config"]["Hostname"]


def stream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(("cpu-stats-", "cpu-discover-"))]


def test_sampler_measures_the_busy_and_the_idle_container(client: docker.DockerClient, project: str) -> None:
    sampler = CpuSampler(project).start()
    try:
        assert sampler.wait_for_samples(3, timeout=15), sampler.series()
        summary = sampler.summary()
        series = {s.service: s for s in sampler.series()}
    finally:
        sampler.stop()

    assert set(series) == {"busy", "idle"}
    busy, idle = series["busy"], series["idle"]
    assert busy.name == f"{project}-busy-1"
    assert busy.hostname == hostname(client, project, "busy")
    assert busy.cpu_limit == pytest.approx(0.5)
    assert idle.cpu_limit is None
    for one in (busy, idle):
        times = [t for t, _ in one.samples]
        assert len(times) >= 3
        assert times == sorted(times)
        assert abs(times[-1] - time.time()) < 10

    assert set(summary.services) == {"busy", "idle"}
    assert summary.services["busy"].containers == summary.services["idle"].containers == 1
    busy_mean = summary.services["busy"].mean_percent
    assert 30 <= busy_mean <= 70, busy.samples
    assert summary.services["idle"].mean_percent < 10, idle.samples
    assert 0.3 <= summary.total_cores <= 0.8
    # Docker's throttling counters come with every frame: periods while a quota is set, none without one
    # (how much is throttled: test_a_container_over_its_quota_is_throttled_and_one_under_it_is_not).
    busy_throttled, idle_throttled = busy.throttled(), idle.throttled()
    assert busy_throttled is not None and busy_throttled.periods > 0, busy.throttling
    assert busy_throttled.share is not None
    assert idle_throttled is not None and idle_throttled.periods == 0 and idle_throttled.share is None

    # Every stream noticed the stop: no thread is left reading.
    assert stream_threads() == []


def test_sampler_picks_up_a_late_container_and_lets_go_when_it_exits(
    client: docker.DockerClient, project: str
) -> None:
    late = None
    with CpuSampler(project, discover_interval=0.5) as sampler:
        try:
            assert sampler.wait_for_samples(1, timeout=10)
            late = start(client, project, "late", IDLE)
            wait_for(
                lambda: True if any(s.service == "late" and s.samples for s in sampler.series()) else None,
                timeout=10,
                what="a sample of the late container",
            )
            late.kill()
            # A stopped container gets empty frames forever; its stream must end by itself.
            wait_for(
                lambda: True if not next(s for s in sampler.series() if s.service == "late").active else None,
                timeout=10,
                what="the late container's stream to end",
            )
            assert {s.service for s in sampler.series() if s.active} == {"busy", "idle"}
        finally:
            if late is not None:
                late.remove(force=True)
    assert stream_threads() == []


def run_stats(args: list[str], until: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the CLI until the regex `until` matches its output, then Ctrl-C it; (exit code, stdout, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.tools.monitor.stats", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=sigint_default,  # the Ctrl-C below must work even if our SIGINT is ignored
    )
    out: list[str] = []
    err: list[str] = []
    readers = [
        threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True),
        threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        wait_for(
            lambda: True if re.search(until, "".join(out)) or proc.poll() is not None else None,
            timeout=20,
            what=f"{until!r} in the output of stats",
        )
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for reader in readers:
        reader.join(timeout=5)
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    return code, "".join(out), "".join(err)


def test_stats_shows_the_busy_container_and_quits_on_ctrl_c(
    client: docker.DockerClient, project: str
) -> None:
    busy_host = hostname(client, project, "busy")
    # The busy row once it has a measurement: "busy  busy-1  <host>  49.8 %  49.8 %  0.50  99.0 %  2.41 s".
    measured = rf"{busy_host}\s+(\d+\.\d) %\s+\d+\.\d %\s+0\.50\s+(\d+\.\d) %\s+(\d+\.\d\d) s"
    code, out, err = run_stats(["--project", project], until=measured)
    assert code == 0, err
    assert "Traceback" not in err + out
    match = re.search(measured, out)
    assert match, out
    assert 20 <= float(match.group(1)) <= 80, out
    # The share of its periods throttled since the monitor started, and the seconds held back: time is
    # held back only in throttled periods (how much is throttled:
    # test_a_container_over_its_quota_is_throttled_and_one_under_it_is_not).
    share, held_back = float(match.group(2)), float(match.group(3))
    assert 0 <= share <= 100 and (held_back == 0 or share > 0), out
    assert hostname(client, project, "idle") in out
    assert re.search(rf"{hostname(client, project, 'idle')}\s+.*none\s+no quota", out), out


@pytest.fixture(scope="module")
def throttle_project(client: docker.DockerClient) -> Iterator[str]:
    """Two containers: `over` wants 2 CPUs and has 0.05; `under` wants 1 and has 1.5. Removed afterwards."""
    name = f"cpu-throttle-test-{uuid.uuid4().hex[:8]}"
    try:
        start(client, name, "over", TWO_BUSY, nano_cpus=OVER_NANO_CPUS)
        start(client, name, "under", BUSY, nano_cpus=1_500_000_000)
        yield name
    finally:
        remove_project(client, name)


def test_a_container_over_its_quota_is_throttled_and_one_under_it_is_not(
    client: docker.DockerClient, throttle_project: str
) -> None:
    containers = {s: client.containers.get(f"{throttle_project}-{s}-1") for s in ("over", "under")}
    meter = CgroupMeter({s: c.attrs["State"]["Pid"] for s, c in containers.items()})
    assert not meter.unreadable
    before = meter.read(time.monotonic())
    assert set(before.throttling) == {"over", "under"}, before.throttling

    def counted() -> dict | None:
        over = throttled_between(before, meter.read(time.monotonic()))
        return over if all(t.periods >= 3 * PERIODS_PER_SECOND for t in over.values()) else None

    between = wait_for(counted, timeout=60, what="3 s of CFS periods in both containers")
    over, under = between["over"], between["under"]
    print(f"over its quota: {over}; under it: {under}")
    assert over.share is not None and over.share > 0.25, over
    assert over.throttled_seconds > 0, over
    assert under.throttled_periods == 0 and under.share == 0.0, under
    assert under.throttled_seconds == 0, under

    # Docker's figure for the same container agrees with ours: a frame's counters, then ours just after,
    # differ by no more than the periods of the time in between.
    for service, container in containers.items():
        frame = container.stats(stream=False)
        docker_counters = throttling_data(frame["cpu_stats"])
        ours = meter.read(time.monotonic()).throttling[service]
        assert docker_counters is not None, frame["cpu_stats"]
        taken = read_time(frame)
        assert taken is not None
        elapsed = max(0.0, time.time() - taken)
        slack = PERIODS_PER_SECOND * elapsed + 2
        assert 0 <= ours.periods - docker_counters.periods <= slack, (ours, docker_counters, elapsed)
        assert 0 <= ours.throttled_periods - docker_counters.throttled_periods <= slack
        cores = os.cpu_count() or 1
        assert 0 <= ours.throttled_seconds - docker_counters.throttled_seconds <= cores * elapsed + 0.2


# A project with no running container, and an unreachable Docker, are said in one line before stats
# starts: tests/tools/test_not_running.py.
