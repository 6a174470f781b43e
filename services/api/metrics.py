"""What GET /metrics exports, in the Prometheus format: a prometheus_client Collector reading Redis.

Nothing is counted in this process: the API accepts jobs but workers in other containers end them, and
each worker container reports on itself. So every scrape reads what is in Redis at that moment: the job
counters and histograms (shared.job_metrics), RQ's queue lengths, and the workers' self-reports
(shared.worker_reports), the bytes jobs moved (shared.bytes_moved) and Redis's own network counters
(INFO stats). Small reads (an HGETALL, a SMEMBERS and two counts per queue, one SCAN and one MGET for
the reports, an HMGET and an INFO), no writes (RQ's registries are counted without their cleanup), and nothing
runs between scrapes.
"""

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from redis import Redis
from rq import Queue

from shared import bytes_moved, job_metrics
from shared.net.counters import redis_bytes
from shared.worker_reports import read_reports

NAMESPACE = "cpu_contrast"
# Every self-report comes from a container of the `worker` service (this stack's, or
# docker-compose.workers.yml's on another host); `container` is its hostname, Docker's short id.
WORKER_LABELS = ("container", "service")
WORKER_SERVICE = "worker"
# Self-report fields exported per worker container: (field, metric, type, help). A field missing from a
# container's report (an older worker, or a figure it cannot read) leaves that series out.
WORKER_FIELDS = (
    ("pool_processes", "worker_pool_processes", "gauge", "Pool processes, summed over its RQ consumers."),
    ("consumers", "worker_consumers", "gauge", "RQ worker processes reporting from the container."),
    ("cpu_quota", "worker_cpu_quota_cpus", "gauge", "CPU quota of the container (cgroup), in CPUs."),
    ("cpu_seconds", "worker_cpu_seconds", "counter", "CPU time of the whole container (cgroup)."),
    ("cpu_periods", "worker_cpu_periods", "counter", "CFS periods the container ran in (cgroup)."),
    ("cpu_throttled_periods", "worker_cpu_throttled_periods", "counter", "CFS periods throttled."),
    ("cpu_throttled_seconds", "worker_cpu_throttled_seconds", "counter", "Time spent throttled."),
    ("net_rx_bytes", "worker_network_receive_bytes", "counter", "Bytes into the container's network."),
    ("net_tx_bytes", "worker_network_transmit_bytes", "counter", "Bytes out of the container's network."),
    ("jobs_done", "worker_jobs_done", "counter", "Local jobs its consumers ran, since each started."),
    ("chunks_done", "worker_chunks_done", "counter", "Chunks its consumers ran, since each started."),
    ("ready", "worker_ready", "gauge", "1 when every consumer is registered with RQ and its pool whole."),
    ("updated_at", "worker_last_report_timestamp_seconds", "gauge", "Time of its newest self-report."),
)


class RedisCollector(Collector):
    """Reads the stack's figures from Redis on every collect() (each scrape)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def collect(self) -> Iterator[Metric]:
        yield from self._jobs()
        yield from self._queues()
        yield from self._workers()
        yield from self._bytes()

    def _bytes(self) -> Iterator[Metric]:
        moved = bytes_moved.totals(self.redis)
        yield CounterMetricFamily(
            f"{NAMESPACE}_job_bytes_read",
            "Bytes workers read out of Redis for jobs (datasets).",
            moved["read"],
        )
        yield CounterMetricFamily(
            f"{NAMESPACE}_job_bytes_pickled",
            "Bytes workers pickled to their pool processes.",
            moved["pickled"],
        )
        # Redis's own count of what crossed its network (INFO stats), every client's.
        network = redis_bytes(self.redis)
        family = CounterMetricFamily(
            f"{NAMESPACE}_redis_network_bytes",
            "Bytes into (in) and out of (out) Redis.",
            labels=("direction",),
        )
        family.add_metric(("in",), network.rx)
        family.add_metric(("out",), network.tx)
        yield family

    def _jobs(self) -> Iterator[Metric]:
        found = job_metrics.read(self.redis)
        accepted = CounterMetricFamily(
            f"{NAMESPACE}_jobs_accepted", "Jobs the API accepted.", labels=("mode", "kernel")
        )
        for labels, count in sorted(found.accepted.items()):
            accepted.add_metric(labels, count)
        yield accepted
        ended = CounterMetricFamily(
            f"{NAMESPACE}_jobs_ended",
            "Jobs that ended, by status: finished, failed or canceled.",
            labels=("mode", "kernel", "status"),
        )
        for labels, count in sorted(found.ended.items()):
            ended.add_metric(labels, count)
        yield ended
        helps = {
            "latency": "Seconds from a job's acceptance to its answer (finished jobs).",
            "run": "Seconds from a job's first start on a worker to its answer (finished jobs).",
        }
        for name, by_labels in found.histograms.items():
            family = HistogramMetricFamily(
                f"{NAMESPACE}_job_{name}_seconds", helps[name], labels=("mode", "kernel")
            )
            for labels, histogram in sorted(by_labels.items()):
                family.add_metric(labels, histogram.buckets, histogram.sum)
            yield family

    def _queues(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            f"{NAMESPACE}_queue_jobs",
            "RQ queue entries by state: queued (the queue's depth), started, failed (RQ's registries).",
            labels=("queue", "state"),
        )
        for queue in sorted(Queue.all(connection=self.redis), key=lambda q: q.name):
            family.add_metric((queue.name, "queued"), queue.count)
            for state, registry in (
                ("started", queue.started_job_registry),
                ("failed", queue.failed_job_registry),
            ):
                # Counted only: RQ's count() would first run the registry's cleanup, a write.
                family.add_metric((queue.name, state), registry.get_job_count(cleanup=False))
        yield family

    def _workers(self) -> Iterator[Metric]:
        reports = read_reports(self.redis)
        for field, name, kind, help_text in WORKER_FIELDS:
            family_class = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
            family = family_class(f"{NAMESPACE}_{name}", help_text, labels=WORKER_LABELS)
            for report in reports:
                value = report.get(field)
                if value is not None:
                    family.add_metric((report["host"], WORKER_SERVICE), float(value))
            yield family


def registry(redis: Redis) -> CollectorRegistry:
    """GET /metrics's figures: the stack's, from Redis, and this API process's own CPU and memory."""
    found = CollectorRegistry(auto_describe=False)
    found.register(RedisCollector(redis))
    ProcessCollector(registry=found)
    return found
