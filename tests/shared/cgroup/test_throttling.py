"""CFS throttling from cpu.stat, as cgroup v1 and v2 write it, read from inside a container and by path."""

from pathlib import Path

import pytest

from shared.cgroup.throttling import ZERO, Throttling, container_throttling, parse_cpu_stat

V1 = "nr_periods 200\nnr_throttled 50\nthrottled_time 2500000000\nnr_bursts 0\nburst_time 0\n"
V2 = (
    "usage_usec 9000000\nuser_usec 8000000\nsystem_usec 1000000\n"
    "nr_periods 200\nnr_throttled 50\nthrottled_usec 2500000\n"
)


def test_v1_counts_nanoseconds_and_v2_microseconds() -> None:
    assert parse_cpu_stat(V1) == parse_cpu_stat(V2) == Throttling(200, 50, 2.5)


def test_a_cpu_stat_without_bandwidth_counters_has_no_throttling() -> None:
    # cgroup v2 without the cpu controller enabled writes usage only.
    assert parse_cpu_stat("usage_usec 10\nuser_usec 5\nsystem_usec 5\n") is None


def test_share_and_differences() -> None:
    later = Throttling(300, 80, 4.0)
    over = later.since(Throttling(200, 50, 2.5))
    assert over == Throttling(100, 30, 1.5)
    assert over.share == pytest.approx(0.3)
    assert over + ZERO == over
    # No period counted (no quota, or no CPU wanted): no share, rather than a misleading 0.
    assert Throttling(0, 0, 0.0).share is None
    assert over.as_dict() == {
        "periods": 100,
        "throttled_periods": 30,
        "throttled_share": 0.3,
        "throttled_seconds": 1.5,
    }


@pytest.mark.parametrize(("folder", "text"), [("", V2), ("cpu", V1), ("cpu,cpuacct", V1)])
def test_a_container_finds_its_own_cpu_stat(tmp_path: Path, folder: str, text: str) -> None:
    (tmp_path / folder).mkdir(exist_ok=True)
    (tmp_path / folder / "cpu.stat").write_text(text)
    assert container_throttling(tmp_path) == Throttling(200, 50, 2.5)


def test_no_cgroup_files_no_throttling(tmp_path: Path) -> None:
    assert container_throttling(tmp_path) is None
