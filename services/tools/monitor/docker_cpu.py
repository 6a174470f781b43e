"""CPU % per container of a compose project, computed exactly as `docker stats` computes it.

The engine refreshes a container's stats once a second. A streaming stats request receives every
refresh as it happens, so the sampler keeps one open per container, each in its own thread;
`stats(stream=False)` would instead wait for two refreshes (1-2 s) on every call.

CPU % follows the CLI: 100 % is one full CPU, so a container limited to 0.5 CPU tops out near 50 %
and the sum over containers divided by 100 is the number of cores in use.

The same frames carry the cgroup's CFS throttling counters (`throttling_data`): kept beside each sample,
they say how much of a window a container spent stopped by its quota, at no extra cost.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

import docker
import docker.errors
import requests
import urllib3.exceptions
from docker.models.containers import Container

from services.tools.stack import SERVICE_LABEL, containers
from shared.cgroup.throttling import Throttling

log = logging.getLogger(__name__)

# Labels compose puts on every container it creates.

# dockerd refreshes stats once a second: the finest sampling interval there is.
ENGINE_TICK = 1.0
# A refresh can land a little early; a frame this close to the interval still counts as due, so
# interval=1 records every frame rather than every other one.
TICK_SLACK = 0.25
# How often to look for containers that start after the sampler did (scale-up, restarts).
DISCOVER_INTERVAL = 1.0
# How long one read on a stats stream may block. The engine writes every second, so silence this
# long means a wedged stream: its thread ends, and discovery reopens it if the container still runs.
STREAM_TIMEOUT = 15.0
# Connections kept by the sampler's own client: one per streamed container, plus discovery.
MAX_POOL_SIZE = 64
# How long stop() waits for all threads together; each notices the stop within one engine tick.
STOP_TIMEOUT = 5.0

# What ends one container's stream without ending the sampler: the container was removed, the
# engine went away, a read timed out, or a frame was cut short.
STREAM_ERRORS = (
    docker.errors.DockerException,
    docker.errors.StreamParseError,
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    OSError,
)

Stats = Mapping[str, Any]
Sample = tuple[float, float]


def online_cpus(cpu_stats: Stats) -> int:
    """CPUs the engine reports for the container; 0 when the frame does not say."""
    count = cpu_stats.get("online_cpus") or 0
    if not count:
        # Older engines leave online_cpus out; the CLI then counts the per-CPU counters.
        count = len((cpu_stats.get("cpu_usage") or {}).get("percpu_usage") or [])
    return int(count)


def cpu_percent_between(previous: Stats, current: Stats) -> float | None:
    """CPU % from one `cpu_stats` dict to a later one (100 = one CPU); None when it cannot be measured."""
    try:
        cpu_delta = current["cpu_usage"]["total_usage"] - previous["cpu_usage"]["total_usage"]
        system_delta = current["system_cpu_usage"] - previous["system_cpu_usage"]
    except (KeyError, TypeError):
        # A first frame's precpu_stats, and every frame of a stopped container, lack system_cpu_usage.
        # The CLI shows 0 % there; None keeps "no measurement" apart from "idle".
        return None
    cpus = online_cpus(current)
    if system_delta <= 0 or cpus == 0:
        return None
    if cpu_delta <= 0:
        # Idle, or the counter started over because the container restarted: the CLI shows 0 too.
        return 0.0
    return cpu_delta / system_delta * cpus * 100.0


def cpu_percent(stats: Stats) -> float | None:
    """CPU % of one stats frame: its `cpu_stats` against its `precpu_stats`, as `docker stats` does."""
    return cpu_percent_between(stats.get("precpu_stats") or {}, stats.get("cpu_stats") or {})


def throttling_data(cpu_stats: Stats) -> Throttling | None:
    """A frame's cumulative throttling counters (`throttled_time` is in ns); None when it has none."""
    data = cpu_stats.get("throttling_data")
    if not data or "periods" not in data:
        return None
    return Throttling(data["periods"], data.get("throttled_periods", 0), data.get("throttled_time", 0) / 1e9)


def read_time(stats: Stats) -> float | None:
    """When the engine took a stats frame, on the `time.time()` scale; None if the frame has no time."""
    try:
        when = datetime.fromisoformat(stats["read"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return None
    # Frames of stopped containers carry Go's zero time, 0001-01-01.
    return when if when > 0 else None


@dataclass
class ContainerSeries:
    """One container of the project and its CPU samples, (time.time() timestamp, CPU %), oldest first."""

    id: str
    name: str
    service: str
    # Config.Hostname: what the container's processes (the workers) report as their host.
    hostname: str
    # HostConfig.NanoCpus: the `cpus:` limit in billionths of a CPU; 0 means unlimited.
    nano_cpus: int
    samples: list[Sample] = field(default_factory=list)
    # True while its stats stream is open, i.e. the container is running.
    active: bool = False
    # The cumulative throttling counters at each sample's time, and at the stream's first frame.
    throttling: list[tuple[float, Throttling]] = field(default_factory=list)

    @property
    def cpu_limit(self) -> float | None:
        """The CPU limit in cores, or None when unlimited."""
        return self.nano_cpus / 1e9 if self.nano_cpus else None

    @property
    def latest(self) -> float | None:
        """The most recent CPU %, or None before the first sample."""
        return self.samples[-1][1] if self.samples else None

    def throttled(self, since: float | None = None, until: float | None = None) -> Throttling | None:
        """CFS throttling from the first to the last counters taken in [since, until]; None without two."""
        counters = [
            c for t, c in self.throttling if (since is None or t >= since) and (until is None or t <= until)
        ]
        return counters[-1].since(counters[0]) if len(counters) > 1 else None

    def window(self, since: float | None = None, until: float | None = None) -> list[Sample]:
        """The samples taken in [since, until] (time.time() scale; None leaves that end open)."""
        return [
            (t, p) for t, p in self.samples if (since is None or t >= since) and (until is None or t <= until)
        ]


@dataclass(frozen=True)
class ContainerSummary:
    """Mean and peak CPU % of one container over a window."""

    name: str
    service: str
    hostname: str
    cpu_limit: float | None
    samples: int
    mean_percent: float | None
    max_percent: float | None

    @property
    def cores(self) -> float:
        """Mean cores in use (mean CPU % / 100); 0 without samples."""
        return (self.mean_percent or 0.0) / 100.0


@dataclass(frozen=True)
class ServiceSummary:
    """A compose service's containers added up: mean CPU %, cores and CPU limit."""

    service: str
    containers: int
    # Sum of its containers' mean CPU %.
    mean_percent: float
    # Highest CPU % any one of its containers reached.
    max_percent: float | None
    # Sum of its containers' limits in cores; None if any of them is unlimited.
    cpu_limit: float | None

    @property
    def cores(self) -> float:
        """Mean cores in use by the whole service."""
        return self.mean_percent / 100.0


@dataclass(frozen=True)
class CpuSummary:
    """Per container, per service and total CPU use over a window."""

    containers: list[ContainerSummary]
    services: dict[str, ServiceSummary]

    @property
    def total_cores(self) -> float:
        """Cores in use by the whole project on average: the sum of all mean CPU % / 100."""
        return sum(s.cores for s in self.services.values())


def summarize(
    series: Iterable[ContainerSeries], since: float | None = None, until: float | None = None
) -> CpuSummary:
    """Mean and max CPU % per container, totals per service, over the samples in [since, until]."""
    containers: list[ContainerSummary] = []
    for one in sorted(series, key=lambda s: (s.service, s.name)):
        percents = [p for _, p in one.window(since, until)]
        containers.append(
            ContainerSummary(
                name=one.name,
                service=one.service,
                hostname=one.hostname,
                cpu_limit=one.cpu_limit,
                samples=len(percents),
                mean_percent=sum(percents) / len(percents) if percents else None,
                max_percent=max(percents) if percents else None,
            )
        )
    services: dict[str, ServiceSummary] = {}
    for name in dict.fromkeys(c.service for c in containers):
        members = [c for c in containers if c.service == name]
        maxima = [c.max_percent for c in members if c.max_percent is not None]
        limits = [c.cpu_limit for c in members]
        services[name] = ServiceSummary(
            service=name,
            containers=len(members),
            mean_percent=sum(c.mean_percent or 0.0 for c in members),
            max_percent=max(maxima) if maxima else None,
            cpu_limit=None if None in limits else sum(lim for lim in limits if lim is not None),
        )
    return CpuSummary(containers=containers, services=services)


@dataclass
class _Track:
    """A container's series as the sampler grows it: bounded samples, guarded by the sampler's lock."""

    info: ContainerSeries
    samples: deque[Sample]
    throttling: deque[tuple[float, Throttling]]
    thread: threading.Thread | None = None


class CpuSampler:
    """Samples the CPU % of every container of one compose project in background threads.

    Containers that start later are picked up within `discover_interval`; a container that exits
    keeps its samples and gets a new stream if it runs again. Use as a context manager, or call
    start() and stop().
    """

    def __init__(
        self,
        project: str,
        interval: float = ENGINE_TICK,
        *,
        client: docker.DockerClient | None = None,
        max_samples: int | None = None,
        discover_interval: float = DISCOVER_INTERVAL,
    ) -> None:
        """`interval` below ENGINE_TICK acts as ENGINE_TICK; `max_samples` bounds memory per container."""
        self.project = project
        self.interval = max(interval, ENGINE_TICK)
        self.discover_interval = discover_interval
        self._max_samples = max_samples
        self._client = client
        self._owns_client = client is None
        self._lock = threading.Lock()
        self._tracks: dict[str, _Track] = {}
        self._stopping = threading.Event()
        self._discoverer: threading.Thread | None = None
        self._last_error: Exception | None = None

    def start(self) -> Self:
        """Find the project's running containers and stream their stats; DockerException if unreachable."""
        if self._client is None:
            self._client = docker.from_env(timeout=int(STREAM_TIMEOUT), max_pool_size=MAX_POOL_SIZE)
        # Once in the foreground, so an unreachable engine fails here and not silently in a thread.
        try:
            self._discover()
        except BaseException:
            self.stop()
            raise
        self._discoverer = threading.Thread(
            target=self._discover_loop, name=f"cpu-discover-{self.project}", daemon=True
        )
        self._discoverer.start()
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop sampling and join every thread (each notices within about one engine tick)."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        if self._discoverer is not None:
            # First, so no stream starts after the list of threads below is taken.
            self._discoverer.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            threads = [t.thread for t in self._tracks.values() if t.thread is not None]
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            # Daemon threads: they cannot keep the interpreter alive, so warn instead of hanging.
            log.warning("stats threads still running after %.1fs: %s", timeout, ", ".join(stuck))
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def last_error(self) -> Exception | None:
        """The error of the latest failed discovery (e.g. the engine went away), None once it works."""
        return self._last_error

    def series(self) -> list[ContainerSeries]:
        """A copy of every container's series seen so far, ordered by service and name."""
        with self._lock:
            copies = [
                ContainerSeries(
                    **{**vars(t.info), "samples": list(t.samples), "throttling": list(t.throttling)}
                )
                for t in self._tracks.values()
            ]
        return sorted(copies, key=lambda s: (s.service, s.name))

    def summary(self, since: float | None = None, until: float | None = None) -> CpuSummary:
        """Mean/max per container and totals per service over [since, until] (time.time() scale)."""
        return summarize(self.series(), since, until)

    def wait_for_samples(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Wait until there is a container and every running one has `count` samples; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            running = [s for s in self.series() if s.active]
            if running and all(len(s.samples) >= count for s in running):
                return True
            time.sleep(0.1)
        return False

    def _discover_loop(self) -> None:
        while not self._stopping.wait(self.discover_interval):
            try:
                self._discover()
            except STREAM_ERRORS as exc:
                if self._last_error is None:
                    log.warning("looking for containers of %s failed: %s", self.project, exc)
                self._last_error = exc
            else:
                self._last_error = None

    def _discover(self) -> None:
        """Open a stream for each running container of the project that has none."""
        assert self._client is not None
        # Sparse: one request, no inspect per container every second.
        listed = containers(self._client, self.project, sparse=True)
        for sparse in listed:
            with self._lock:
                track = self._tracks.get(sparse.id)
                if track is not None and track.thread is not None and track.thread.is_alive():
                    continue
            try:
                # The sparse listing lacks Config.Hostname and HostConfig.NanoCpus.
                container = self._client.containers.get(sparse.id)
            except docker.errors.NotFound:
                continue
            if container.status == "running":
                self._open_stream(container)

    def _open_stream(self, container: Container) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            track = self._tracks.get(container.id)
            if track is None:
                attrs = container.attrs
                info = ContainerSeries(
                    id=container.id,
                    name=container.name,
                    service=container.labels.get(SERVICE_LABEL, ""),
                    hostname=attrs.get("Config", {}).get("Hostname", ""),
                    nano_cpus=attrs.get("HostConfig", {}).get("NanoCpus") or 0,
                )
                track = self._tracks[container.id] = _Track(
                    info, deque(maxlen=self._max_samples), deque(maxlen=self._max_samples)
                )
            track.info.active = True
            track.thread = threading.Thread(
                target=self._stream, args=(container, track), name=f"cpu-stats-{container.name}", daemon=True
            )
            track.thread.start()

    def _stream(self, container: Container, track: _Track) -> None:
        """Record CPU % from one container's stats stream until stop() or the container stops."""
        # The counters of the last recorded frame: deltas span the whole interval, not just the last tick.
        last: tuple[float, Stats] | None = None
        frames = None
        try:
            frames = container.stats(stream=True, decode=True)
            for frame in frames:
                if self._stopping.is_set():
                    break
                cpu_stats = frame.get("cpu_stats") or {}
                if "system_cpu_usage" not in cpu_stats:
                    # A stopped container gets an empty frame every second for as long as it exists.
                    if not _is_running(container):
                        break
                    continue
                when = read_time(frame) or time.time()
                throttling = throttling_data(cpu_stats)
                if last is None:
                    # The first frame's precpu_stats are empty: it only sets the baseline.
                    last = (when, cpu_stats)
                    if throttling is not None:
                        with self._lock:
                            track.throttling.append((when, throttling))
                    continue
                if when - last[0] < self.interval - TICK_SLACK:
                    continue
                percent = cpu_percent_between(last[1], cpu_stats)
                last = (when, cpu_stats)
                with self._lock:
                    if percent is not None:
                        track.samples.append((when, percent))
                    if throttling is not None:
                        track.throttling.append((when, throttling))
        except STREAM_ERRORS as exc:
            log.debug("stats stream of %s ended: %s", container.name, exc)
        finally:
            if frames is not None:
                frames.close()
            with self._lock:
                track.info.active = False


def _is_running(container: Container) -> bool:
    try:
        container.reload()
    except docker.errors.NotFound:
        return False
    return container.status == "running"
