"""One container's Docker stats stream, read frame by frame: each due frame's time, CPU % and throttling."""

import threading
import time
from collections.abc import Iterator

import docker
import docker.errors
import requests
import urllib3.exceptions
from docker.models.containers import Container

from services.tools.monitor.docker_frames import Stats, cpu_percent_between, read_time, throttling_data
from shared.cgroup.throttling import Throttling

# A refresh can land a little early; a frame this close to the interval still counts as due, so
# interval=1 records every frame rather than every other one.
TICK_SLACK = 0.25
# What ends one container's stream without ending the sampler: the container was removed, the
# engine went away, a read timed out, or a frame was cut short.
STREAM_ERRORS = (
    docker.errors.DockerException,
    docker.errors.StreamParseError,
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    OSError,
)


def due_frames(
    container: Container, interval: float, stopping: threading.Event
) -> Iterator[tuple[float, float | None, Throttling | None]]:
    """(time, CPU % since the previous due frame, cumulative throttling) for each frame `interval` after
    the last, until `stopping` is set or the container stops; the first frame only sets the baseline (no
    CPU %). Raises one of STREAM_ERRORS if the stream breaks."""
    # The counters of the last due frame: deltas span the whole interval, not just the last tick.
    last: tuple[float, Stats] | None = None
    frames = container.stats(stream=True, decode=True)
    try:
        for frame in frames:
            if stopping.is_set():
                return
            cpu_stats = frame.get("cpu_stats") or {}
            if "system_cpu_usage" not in cpu_stats:
                # A stopped container gets an empty frame every second for as long as it exists.
                if not _is_running(container):
                    return
                continue
            when = read_time(frame) or time.time()
            if last is None:
                # The first frame's precpu_stats are empty: it only sets the baseline.
                last = (when, cpu_stats)
                yield when, None, throttling_data(cpu_stats)
                continue
            if when - last[0] < interval - TICK_SLACK:
                continue
            percent = cpu_percent_between(last[1], cpu_stats)
            last = (when, cpu_stats)
            yield when, percent, throttling_data(cpu_stats)
    finally:
        frames.close()


def _is_running(container: Container) -> bool:
    try:
        container.reload()
    except docker.errors.NotFound:
        return False
    return container.status == "running"
