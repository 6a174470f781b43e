"""The data experiment: three ways to the same exact checksums; only pickling sends the bytes."""

import zlib
from multiprocessing import resource_tracker

from worker.lab import data_transfer
from worker.lab.procs import context

DATA = bytes(range(256)) * 4096  # 1 MiB


def test_each_way_gets_every_slice_exact_and_only_pickling_sends_the_bytes() -> None:
    expected = [zlib.crc32(DATA[lo:hi]) for lo, hi in data_transfer.spans(len(DATA), 5)]
    resource_tracker.ensure_running()  # the pool's processes share it (see data_transfer.run)
    with context().Pool(2) as pool:
        pickled = data_transfer.by_pickle(pool, DATA, 5)
        shared = data_transfer.by_shared_memory(pool, DATA, 5)
    inherited = data_transfer.by_array(DATA, 5)
    for sums, _seconds, _sent in (pickled, shared, inherited):
        assert sums == expected
    assert pickled[2] > len(DATA)  # every byte, and the pickles' framing
    assert shared[2] < 600 and inherited[2] < 600  # five names or offset pairs


def test_slices_cover_the_data_once() -> None:
    assert data_transfer.spans(10, 3) == [(0, 4), (4, 8), (8, 10)]
    assert data_transfer.spans(10, 1) == [(0, 10)]
