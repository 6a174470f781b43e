"""The disk under a folder: what it is (filesystem, device), and how many cache flushes it has done.

An fsync that reaches the device ends in a flush of its write cache; the kernel counts them per block
device (/proc/diskstats, field 16, since Linux 5.5). Counted over a window, they say how many fsyncs
hit the disk then, from every process on it: a figure to read beside a rate, not a private counter.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import psutil

# psutil.disk_io_counters has reads, writes and busy time, not the flushes: read the kernel's line.
DISKSTATS = Path("/proc/diskstats")
# 0-based column of field 16, "flush requests completed", in /proc/diskstats: major, minor, name come first.
FLUSHES_COLUMN = 18


@dataclass(frozen=True)
class Disk:
    """Where a folder's bytes go: its mount's filesystem type and source."""

    fstype: str
    device: str
    mountpoint: str

    @property
    def label(self) -> str:
        return f"{self.fstype} on {self.device}"


def disk_of(folder: Path) -> Disk:
    """The mount holding `folder` (the longest mount point that contains it)."""
    path = folder.resolve()
    mounts = [p for p in psutil.disk_partitions(all=True) if path.is_relative_to(p.mountpoint)]
    best = max(mounts, key=lambda p: len(p.mountpoint), default=None)
    if best is None:
        return Disk("unknown", "unknown", "/")
    return Disk(best.fstype, best.device, best.mountpoint)


def flushes(folder: Path) -> int | None:
    """Cache flushes completed so far by the block device holding `folder`; None where not counted
    (a kernel before 5.5, or a filesystem with no block device of its own: tmpfs, overlay)."""
    st_dev = os.stat(folder).st_dev
    major, minor = os.major(st_dev), os.minor(st_dev)
    try:
        lines = DISKSTATS.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        words = line.split()
        if len(words) > FLUSHES_COLUMN and (int(words[0]), int(words[1])) == (major, minor):
            return int(words[FLUSHES_COLUMN])
    return None
