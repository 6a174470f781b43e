"""The quota the lab reports is shared.cgroup.quota's, read from real cgroup files in a tmp dir."""

import os
from pathlib import Path

import pytest

from shared.cgroup import quota as cpu_quota
from worker.lab import cpus
from worker.lab.defaults import QUICK


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu.max": "100000 100000\n"}, 1.0),
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2.0),
        ({"cpu,cpuacct/cpu.cfs_quota_us": "50000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"}, 0.5),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
    ],
)
def test_quota_from_real_files(tmp_path: Path, files: dict[str, str], expected: float | None) -> None:
    assert cpu_quota.quota_cpus(write(tmp_path, files)) == expected


def test_raw_quota_names_the_file_it_read(tmp_path: Path) -> None:
    write(tmp_path, {"cpu.max": "150000 100000\n"})
    assert cpus.raw_quota(tmp_path) == f"{tmp_path / 'cpu.max'}: 150000 100000"
    assert "no cpu.max" in cpus.raw_quota(tmp_path / "missing")


def test_process_cpu_count_falls_back_to_none_before_3_13(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "process_cpu_count", raising=False)
    assert cpus.process_cpu_count() is None


def test_cpus_experiment_facts_hold_here() -> None:
    assert cpus.run(QUICK).ok
