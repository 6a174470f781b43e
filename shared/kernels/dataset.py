"""The `bytes` kernel: one pass over a dataset's bytes, from barely touching them to heavy work per byte.

Its units are the dataset's blocks of BLOCK bytes (the last one may be short), so any split falls on
block boundaries. `work` sets the CPU per byte, so the same dataset can be I/O-bound or CPU-bound:
- `work` 0: each byte binned by its value (b % 10) at C speed (`bytes.translate`, `count`): the work
  is a small fraction of moving the bytes;
- `work` n >= 1: each byte goes through a rolling FNV-1a hash of its block (reset at every block, so
  a block's answer depends on nothing outside it) with n multiply rounds, in pure Python, and is
  binned by the hash's last digit: heavy per byte, and more so with n.
The answer is exact: `count` is the bytes seen (every byte once: the dataset's size), the histogram
their bins; any split of the blocks merges to the one-piece answer.

Where the bytes come from is the worker's business (worker/data/): it stages the job's slice and names
it in the params as `staged`, either the bytes themselves (`data`, in the process that read them) or
a shared memory segment (`segment`, which pool processes attach to by name and read in place), with
`first_block`, the block its byte 0 is.
"""

import sys
from collections.abc import Mapping
from multiprocessing.shared_memory import SharedMemory
from typing import Any

from shared.tally import BINS, Tally

# Bytes per work unit.
BLOCK = 4096
# FNV-1a, 32 bits: the offset basis and the prime.
FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193
MASK = 0xFFFFFFFF
# work 0: each byte value's bin, and the bytes binned per C call (bounds the copy of a slice).
_BIN_OF = bytes(b % BINS for b in range(256))
_PIECE = 1 << 18


def blocks(size: int) -> int:
    """The work units of a dataset of `size` bytes."""
    return -(-size // BLOCK)


def tally(data: bytes | memoryview, work: int) -> Tally:
    """The answer over `data`, which starts on a block boundary (see the module docstring)."""
    result = Tally(count=len(data))
    histogram = result.histogram
    if work == 0:
        for start in range(0, len(data), _PIECE):
            binned = bytes(data[start : start + _PIECE]).translate(_BIN_OF)
            for i in range(BINS):
                histogram[i] += binned.count(i)
        return result
    rounds = range(work)
    for start in range(0, len(data), BLOCK):
        h = FNV_OFFSET
        for b in data[start : start + BLOCK]:
            h ^= b
            for _ in rounds:
                h = (h * FNV_PRIME) & MASK
            histogram[h % BINS] += 1
    return result


def attach(name: str) -> SharedMemory:
    """The staged segment, attached by name. Untracked where Python allows (3.13+: `track=False`): the
    worker that created it tracks it and unlinks it; before 3.13 every attach registers it with the
    resource tracker, a message and a wake-up of the tracker process per pool task."""
    if sys.version_info >= (3, 13):
        return SharedMemory(name=name, track=False)
    return SharedMemory(name=name)


def run(params: Mapping[str, Any], lo: int, hi: int) -> Tally:
    """Kernel entry point: blocks [lo, hi) of the slice the worker staged (params["staged"])."""
    staged = params["staged"]
    start = (lo - staged["first_block"]) * BLOCK
    stop = min((hi - staged["first_block"]) * BLOCK, staged["bytes"])
    if start < 0 or start > stop:
        raise ValueError(f"blocks [{lo}, {hi}) are not in the staged slice")
    if "data" in staged:
        return tally(memoryview(staged["data"])[start:stop], int(params["work"]))
    # Attached by name and read in place: the bytes cross no pipe and are never pickled.
    segment = attach(staged["segment"])
    try:
        view = segment.buf[start:stop]
        try:
            return tally(view, int(params["work"]))
        finally:
            view.release()
    finally:
        segment.close()
