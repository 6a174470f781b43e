"""The lab's cpus experiment on a hand-made machine: 8 CPUs, cgroup files in a tmp dir.

How the quota is read from cgroup v1 and v2 files is tests/shared/cgroup/test_quota.py's.
"""

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


@pytest.fixture
def eight_cpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A machine of 8 CPUs, all in this process's affinity, whose cgroup files are under the returned dir."""
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(os, "process_cpu_count", lambda: 8, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    # Every reading of the cgroup (the quota, the raw file the lab shows) looks under tmp_path.
    monkeypatch.setattr(cpu_quota.quota_cpus, "__defaults__", (tmp_path,))
    monkeypatch.setattr(cpus.raw_quota, "__defaults__", (tmp_path,))
    return tmp_path


def test_raw_quota_names_the_file_it_read(tmp_path: Path) -> None:
    write(tmp_path, {"cpu.max": "150000 100000\n"})
    assert cpus.raw_quota(tmp_path) == f"{tmp_path / 'cpu.max'}: 150000 100000"
    assert "no cpu.max" in cpus.raw_quota(tmp_path / "missing")


def test_process_cpu_count_falls_back_to_none_before_3_13(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "process_cpu_count", raising=False)
    assert cpus.process_cpu_count() is None


def test_a_quota_of_one_and_a_half_cpus_gives_a_pool_of_two_of_eight(eight_cpus: Path) -> None:
    write(eight_cpus, {"cpu.max": "150000 100000\n"})
    result = cpus.run(QUICK)
    assert result.figures == {
        "os.cpu_count()": "8",
        "os.process_cpu_count()": "8",
        "len(os.sched_getaffinity(0))": "8",
        "cgroup quota": f"1.5 CPU ({eight_cpus / 'cpu.max'}: 150000 100000)",
        "usable_cpus()": "2",
    }
    assert result.headline.endswith("→ pool of 2")
    assert result.ok, result.facts
    assert result.notes == [
        "the quota (1.5 CPU) is below cpu_count (8): a pool sized by cpu_count oversubscribes it"
    ]


def test_without_a_quota_the_pool_is_the_whole_affinity(eight_cpus: Path) -> None:
    write(eight_cpus, {"cpu.max": "max 100000\n"})
    result = cpus.run(QUICK)
    assert (result.figures["cgroup quota"].split(" (")[0], result.figures["usable_cpus()"]) == ("none", "8")
    assert result.ok and result.notes == []


def test_the_experiment_fails_a_pool_sized_from_cpu_count(
    eight_cpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The mistake the experiment is there to catch: 8 processes for 1.5 CPUs.
    write(eight_cpus, {"cpu.max": "150000 100000\n"})
    monkeypatch.setattr(cpus, "usable_cpus", lambda: 8)
    result = cpus.run(QUICK)
    assert not result.ok
    assert [label for label, held in result.facts.items() if not held] == [
        "usable_cpus() == affinity capped by ceil(quota)"
    ]
