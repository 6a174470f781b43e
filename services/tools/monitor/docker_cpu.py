"""CPU % per container of a compose project, sampled from Docker's stats streams in background threads.

The engine refreshes a container's stats once a second. A streaming stats request receives every
refresh as it happens, so the sampler keeps one open per container, each in its own thread;
`stats(stream=False)` would instead wait for two refreshes (1-2 s) on every call.
Each frame's CPU % is `docker stats`'s (docker_frames.py); its throttling counters are kept beside each
sample: they say how much of a window a container spent stopped by its quota, at no extra cost.
"""

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Self

import docker
import docker.errors
from docker.models.containers import Container

from services.tools.monitor.cpu_series import ContainerSeries, CpuSummary, summarize
from services.tools.monitor.docker_frames import Sample
from services.tools.monitor.docker_stream import STREAM_ERRORS, due_frames
from services.tools.stack import containers, service_of
from services.tools.waiting import wait_for
from shared.cgroup.throttling import Throttling

log = logging.getLogger(__name__)

# dockerd refreshes stats once a second: the finest sampling interval there is.
ENGINE_TICK = 1.0
# How often to look for containers that start after the sampler did (scale-up, restarts).
DISCOVER_INTERVAL = 1.0
# How long one read on a stats stream may block. The engine writes every second, so silence this
# long means a wedged stream: its thread ends, and discovery reopens it if the container still runs.
STREAM_TIMEOUT = 15.0
# Connections kept by the sampler's own client: one per streamed container, plus discovery.
MAX_POOL_SIZE = 64
# How long stop() waits for all threads together; each notices the stop within one engine tick.
STOP_TIMEOUT = 5.0


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

        def sampled() -> bool | None:
            running = [s for s in self.series() if s.active]
            return (bool(running) and all(len(s.samples) >= count for s in running)) or None

        try:
            return wait_for(sampled, timeout, "CPU samples", interval=0.1)
        except TimeoutError:
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
                    service=service_of(container),
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
        try:
            for when, percent, throttling in due_frames(container, self.interval, self._stopping):
                with self._lock:
                    if percent is not None:
                        track.samples.append((when, percent))
                    if throttling is not None:
                        track.throttling.append((when, throttling))
        except STREAM_ERRORS as exc:
            log.debug("stats stream of %s ended: %s", container.name, exc)
        finally:
            with self._lock:
                track.info.active = False
