"""The bench's flags size figure 7 on top of QUICK or FULL, and leave every other size as it was."""

import dataclasses

from services.tools.bench.__main__ import parse_args, sizes_of
from services.tools.bench.defaults import FULL, QUICK


def test_fsync_flags_override_only_their_sizes() -> None:
    sizes = sizes_of(parse_args(["--quick", "--fsync-jobs", "7", "--fsync-rounds", "3"]))
    assert (sizes.fsync_jobs, sizes.fsync_rounds) == (7, 3)
    assert dataclasses.replace(sizes, fsync_jobs=QUICK.fsync_jobs, fsync_rounds=QUICK.fsync_rounds) == QUICK


def test_without_flags_the_sizes_are_the_runs_own() -> None:
    assert sizes_of(parse_args([])) == FULL
    assert sizes_of(parse_args(["--quick"])) == QUICK
    assert parse_args(["--fsync-dir", "/mnt/disk"]).fsync_dir.as_posix() == "/mnt/disk"
