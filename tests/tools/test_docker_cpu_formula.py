"""CPU % as `docker stats` computes it, on hand-built stats frames, and the summaries built from it."""

import pytest

from services.tools.monitor.cpu_series import ContainerSeries, summarize
from services.tools.monitor.docker_frames import cpu_percent, cpu_percent_between, online_cpus, read_time


def cpu(total: int, system: int | None, online: int | None = 2, percpu: list[int] | None = None) -> dict:
    """A `cpu_stats` dict shaped like the engine's (nanoseconds)."""
    stats: dict = {"cpu_usage": {"total_usage": total}}
    if percpu is not None:
        stats["cpu_usage"]["percpu_usage"] = percpu
    if system is not None:
        stats["system_cpu_usage"] = system
    if online is not None:
        stats["online_cpus"] = online
    return stats


def test_half_a_cpu_on_a_two_cpu_host_is_fifty_percent() -> None:
    # One second on two CPUs is 2e9 ns of system time; the container used 0.5e9 ns of it.
    frame = {
        "precpu_stats": cpu(1_000_000_000, 50_000_000_000),
        "cpu_stats": cpu(1_500_000_000, 52_000_000_000),
    }
    assert cpu_percent(frame) == pytest.approx(50.0)


def test_two_full_cpus_is_two_hundred_percent() -> None:
    frame = {"precpu_stats": cpu(0, 10_000_000_000), "cpu_stats": cpu(2_000_000_000, 12_000_000_000)}
    assert cpu_percent(frame) == pytest.approx(200.0)


def test_without_online_cpus_the_per_cpu_counters_are_counted() -> None:
    previous = cpu(0, 0, online=None, percpu=[0, 0, 0, 0])
    current = cpu(1_000_000_000, 4_000_000_000, online=None, percpu=[1, 2, 3, 4])
    assert online_cpus(current) == 4
    assert cpu_percent_between(previous, current) == pytest.approx(100.0)


def test_the_first_frame_has_no_measurement() -> None:
    # The engine's first frame: precpu_stats without system_cpu_usage or online_cpus.
    first = {
        "precpu_stats": {"cpu_usage": {"total_usage": 0}},
        "cpu_stats": cpu(22_697_679, 1_013_040_000_000),
    }
    assert cpu_percent(first) is None
    assert cpu_percent({}) is None


def test_a_stopped_container_has_no_measurement() -> None:
    empty = {"cpu_usage": {"total_usage": 0}, "throttling_data": {}}
    assert cpu_percent({"precpu_stats": cpu(5, 10), "cpu_stats": empty}) is None


def test_no_system_time_elapsed_has_no_measurement() -> None:
    assert cpu_percent_between(cpu(0, 100), cpu(50, 100)) is None


def test_idle_and_a_restarted_counter_read_zero() -> None:
    assert cpu_percent_between(cpu(100, 100), cpu(100, 200)) == 0.0
    assert cpu_percent_between(cpu(10**9, 100), cpu(10, 200)) == 0.0


def test_read_time_parses_nanoseconds_and_ignores_the_zero_time() -> None:
    assert read_time({"read": "2026-11-23T05:47:02.280297672Z"}) == pytest.approx(1795412822.280297)
    assert read_time({"read": "0001-01-01T00:00:00Z"}) is None
    assert read_time({}) is None


def test_summaries_per_container_and_per_service_add_up() -> None:
    def series(name: str, service: str, nano: int, percents: list[float]) -> ContainerSeries:
        return ContainerSeries(
            name, name, service, f"host-{name}", nano, [(float(t), p) for t, p in enumerate(percents)]
        )

    summary = summarize(
        [
            series("w1", "worker", 10**9, [100.0, 50.0]),
            series("w2", "worker", 10**9, [20.0, 40.0]),
            series("r", "redis", 0, [2.0, 4.0]),
            series("new", "worker", 10**9, []),
        ]
    )
    by_name = {c.name: c for c in summary.containers}
    assert by_name["w1"].mean_percent == pytest.approx(75.0)
    assert by_name["w1"].max_percent == 100.0
    assert by_name["w1"].cpu_limit == 1.0
    assert by_name["new"].samples == 0 and by_name["new"].mean_percent is None
    worker = summary.services["worker"]
    assert worker.containers == 3
    assert worker.cores == pytest.approx(1.05)
    assert worker.max_percent == 100.0
    assert worker.cpu_limit == 3.0
    assert summary.services["redis"].cpu_limit is None
    assert summary.total_cores == pytest.approx(1.08)
    # A window keeps only the samples taken inside it.
    assert summarize([series("w1", "worker", 0, [100.0, 50.0])], since=0.5).containers[0].mean_percent == 50.0
