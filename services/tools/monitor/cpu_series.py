"""CPU samples per container of a compose project, and their summary over a window: per container, per
service, in total."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.tools.monitor.docker_frames import Sample
from shared.cgroup.throttling import Throttling


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
