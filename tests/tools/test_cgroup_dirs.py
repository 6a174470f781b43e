"""The host finds a container's cgroup folders: CPU seconds under cpuacct, throttling under cpu (v1), or
one folder (v2); and reads both counters from them, the same files the container reads from inside."""

from pathlib import Path

import pytest

from services.tools.monitor import cgroups
from services.tools.monitor.cgroups import CgroupMeter, cgroup_dir, throttled_between
from shared.cgroup.throttling import Throttling

V1_PROC = "4:memory:/docker/abc\n2:cpuacct:/docker/abc\n1:cpu:/docker/abc\n0::/docker/abc\n"
V2_PROC = "0::/system.slice/docker-abc.scope\n"


def make(tmp_path: Path, proc_text: str, folders: dict[str, dict[str, str]]) -> tuple[Path, Path]:
    proc, fs = tmp_path / "proc", tmp_path / "fs"
    (proc / "42").mkdir(parents=True)
    (proc / "42" / "cgroup").write_text(proc_text)
    for folder, files in folders.items():
        (fs / folder).mkdir(parents=True)
        for name, text in files.items():
            (fs / folder / name).write_text(text)
    return proc, fs


def test_v1_with_cpu_and_cpuacct_mounted_apart(tmp_path: Path) -> None:
    proc, fs = make(tmp_path, V1_PROC, {"cpuacct/docker/abc": {}, "cpu/docker/abc": {}})
    assert cgroup_dir(42, proc, fs) == fs / "cpuacct/docker/abc"
    assert cgroup_dir(42, proc, fs, controller="cpu") == fs / "cpu/docker/abc"


def test_v1_with_cpu_and_cpuacct_mounted_together(tmp_path: Path) -> None:
    proc, fs = make(tmp_path, "3:cpu,cpuacct:/docker/abc\n", {"cpu,cpuacct/docker/abc": {}})
    assert (
        cgroup_dir(42, proc, fs)
        == cgroup_dir(42, proc, fs, controller="cpu")
        == fs / "cpu,cpuacct/docker/abc"
    )


def test_v2_has_one_folder(tmp_path: Path) -> None:
    proc, fs = make(tmp_path, V2_PROC, {"system.slice/docker-abc.scope": {}})
    assert cgroup_dir(42, proc, fs, controller="cpu") == fs / "system.slice/docker-abc.scope"


def test_the_meter_reads_throttling_beside_cpu_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stat = tmp_path / "cpu.stat"
    stat.write_text("usage_usec 1000000\nnr_periods 10\nnr_throttled 4\nthrottled_usec 200000\n")
    monkeypatch.setattr(cgroups, "cgroup_dir", lambda pid, controller="cpuacct": tmp_path)
    meter = CgroupMeter({"busy": 42})
    before = meter.read(0.0)
    stat.write_text("usage_usec 3000000\nnr_periods 30\nnr_throttled 19\nthrottled_usec 1200000\n")
    after = meter.read(2.0)
    assert before.containers == {"busy": 1.0} and after.containers == {"busy": 3.0}
    assert throttled_between(before, after) == {"busy": Throttling(20, 15, 1.0)}
