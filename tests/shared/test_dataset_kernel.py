"""The `bytes` kernel: exact answers checked against independent references, any split of the blocks
merging to the one-piece answer, its staged sources, its cost and its plan."""

import os
import random
from collections import Counter
from collections.abc import Iterator
from multiprocessing.shared_memory import SharedMemory

import pytest

from shared import cost
from shared.jobs import BytesJob, parse_job
from shared.kernels import run_kernel
from shared.kernels.dataset import BLOCK, blocks, tally
from shared.plan import plan_job
from shared.settings import Settings, get_settings
from shared.tally import Tally

DATA = random.Random(3).randbytes(5 * BLOCK + 321)  # five whole blocks and a short one


@pytest.fixture(autouse=True)
def _settings_defaults(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plans below follow from Settings' defaults: none of this shell's variables for them."""
    mine = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    monkeypatch.setattr(os, "environ", mine)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def fnv1a(data: bytes, rounds: int) -> int:
    """FNV-1a of `data` from scratch, with `rounds` multiplications per byte (1: the standard hash)."""
    h = 0x811C9DC5
    for b in data:
        h ^= b
        for _ in range(rounds):
            h = h * 0x01000193 % 2**32
    return h


def test_the_standard_fnv1a_vector() -> None:
    # FNV-1a 32 of "a" is 0xe40c292c = 3826002220: its last digit is 0.
    assert fnv1a(b"a", 1) == 0xE40C292C
    assert tally(b"a", 1) == Tally(1, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0])


def test_work_0_bins_each_byte_by_its_value() -> None:
    expected = Counter(b % 10 for b in DATA)
    assert tally(DATA, 0) == Tally(len(DATA), [expected[i] for i in range(10)])


@pytest.mark.parametrize("work", [1, 3])
def test_work_n_bins_each_byte_by_the_hash_of_its_blocks_prefix(work: int) -> None:
    data = DATA[: BLOCK + 200]  # a whole block and a part: the hash restarts at the block boundary
    bins = Counter()
    for start in range(0, len(data), BLOCK):
        block = data[start : start + BLOCK]
        bins.update(fnv1a(block[: k + 1], work) % 10 for k in range(len(block)))
    assert tally(data, work) == Tally(len(data), [bins[i] for i in range(10)])


@pytest.mark.parametrize("work", [0, 2])
def test_any_split_on_block_boundaries_merges_to_the_whole(work: int) -> None:
    whole = tally(DATA, work)
    assert whole.count == len(DATA) == sum(whole.histogram)
    for cuts in ([1], [2, 5], [1, 2, 3, 4, 5]):
        edges = [0, *(c * BLOCK for c in cuts), len(DATA)]
        merged = Tally()
        for lo, hi in zip(edges, edges[1:], strict=False):
            merged.merge(tally(DATA[lo:hi], work))
        assert merged == whole


def test_the_kernel_reads_a_staged_slice_in_memory_or_in_shared_memory() -> None:
    """Blocks [2, 6) of a slice staged from block 1: the same answer from bytes and from a segment."""
    first, slice_ = 1, DATA[BLOCK:]
    expected = tally(DATA[2 * BLOCK :], 2)
    in_memory = {"work": 2, "staged": {"data": slice_, "first_block": first, "bytes": len(slice_)}}
    assert run_kernel("bytes", in_memory, 2, blocks(len(DATA))) == expected
    segment = SharedMemory(create=True, size=len(slice_))
    try:
        segment.buf[: len(slice_)] = slice_
        staged = {"segment": segment.name, "first_block": first, "bytes": len(slice_)}
        assert run_kernel("bytes", {"work": 2, "staged": staged}, 2, blocks(len(DATA))) == expected
        with pytest.raises(ValueError, match="not in the staged slice"):
            run_kernel("bytes", {"work": 2, "staged": staged}, 0, 2)
    finally:
        segment.close()
        segment.unlink()


def test_the_cost_follows_bytes_and_work() -> None:
    settings = Settings(
        cost_bytes_scan_seconds=1e-9, cost_bytes_byte_seconds=1e-7, cost_bytes_round_seconds=5e-8
    )
    assert cost.estimate_seconds("bytes", 0, 1000, settings, {"work": 0}) == pytest.approx(
        1000 * BLOCK * 1e-9
    )
    assert cost.estimate_seconds("bytes", 0, 1000, settings, {"work": 4}) == pytest.approx(
        1000 * BLOCK * 3e-7
    )
    assert cost.estimate_seconds("bytes", 0, 2000, settings, {"work": 4}) == pytest.approx(
        2000 * BLOCK * 3e-7
    )


def test_a_bytes_job_is_planned_once_its_dataset_is_bound() -> None:
    job = parse_job({"kernel": "bytes", "params": {"dataset": "a" * 32, "work": 0}, "mode": "distributed"})
    assert isinstance(job, BytesJob)
    with pytest.raises(LookupError):
        job.units()
    job.bind(16 << 20)  # 16 MiB: 4,096 blocks
    assert job.units() == range(4096)
    # At work 0 (~0.25 s by the model) chunks of 30 ms at least: 8; hashing 8 rounds (~9 s) affords
    # DISTRIBUTED_CHUNKS (16).
    assert plan_job(job).entry_count == 8
    heavy = parse_job({"kernel": "bytes", "params": {"dataset": "a" * 32, "work": 8}, "mode": "distributed"})
    heavy.bind(16 << 20)
    assert plan_job(heavy).entry_count == 16


def test_a_bytes_jobs_chunk_size_is_checked_once_bound() -> None:
    job = parse_job(
        {"kernel": "bytes", "params": {"dataset": "a" * 32}, "chunk_size": 1, "mode": "distributed"}
    )
    job.bind(10 * BLOCK)  # 10 chunks: within MAX_CHUNKS
    too_many = parse_job({"kernel": "bytes", "params": {"dataset": "a" * 32}, "chunk_size": 1})
    with pytest.raises(Exception, match="chunk_size too small"):
        too_many.bind((get_settings().max_chunks + 1) * BLOCK)
