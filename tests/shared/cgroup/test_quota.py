"""The pool is sized from the cgroup CPU quota (v1 and v2 files), not from the host's core count."""

import os
from pathlib import Path

import pytest

from shared.cgroup import quota as cpu_quota


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(
    ("content", "cpus"), [("max 100000\n", None), ("150000 100000\n", 1.5), ("50000 100000", 0.5)]
)
def test_cgroup_v2_cpu_max(tmp_path: Path, content: str, cpus: float | None) -> None:
    write(tmp_path / "cpu.max", content)
    assert cpu_quota.quota_cpus(tmp_path) == cpus


@pytest.mark.parametrize("controller", ["cpu", "cpu,cpuacct"])
@pytest.mark.parametrize(("quota", "cpus"), [("-1", None), ("200000", 2.0), ("25000", 0.25)])
def test_cgroup_v1_cfs_quota(tmp_path: Path, controller: str, quota: str, cpus: float | None) -> None:
    write(tmp_path / controller / "cpu.cfs_quota_us", quota + "\n")
    write(tmp_path / controller / "cpu.cfs_period_us", "100000\n")
    assert cpu_quota.quota_cpus(tmp_path) == cpus


def test_no_cgroup_files_means_no_quota(tmp_path: Path) -> None:
    assert cpu_quota.quota_cpus(tmp_path) is None


@pytest.mark.parametrize(
    ("quota", "expected"), [(0.25, 1), (1.0, 1), (1.5, 2), (3.01, 4), (4.0, 4), (1000.0, 4), (None, 4)]
)
def test_usable_cpus_rounds_the_quota_up_within_the_affinity(
    monkeypatch: pytest.MonkeyPatch, quota: float | None, expected: int
) -> None:
    # Four CPUs in this process's affinity, whatever the machine running the test has.
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(cpu_quota, "quota_cpus", lambda root=cpu_quota.CGROUP_ROOT: quota)
    assert cpu_quota.usable_cpus() == expected
