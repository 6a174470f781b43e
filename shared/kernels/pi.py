"""Monte Carlo estimate of pi: count random points of the unit square inside the quarter circle.

Sample i always draws the same point for a given seed, whatever the chunking: samples come in
blocks of BLOCK, each block with its own generator seeded by (seed, block number), so a chunk that
starts mid-block skips ahead. Hence any split of [0, samples) merges to the same hit count.
"""

import random
from collections.abc import Mapping
from typing import Any

from shared.tally import BINS, Tally

# Samples per independently seeded generator.
BLOCK = 1 << 16


def count_hits(seed: int, lo: int, hi: int) -> Tally:
    """Hits among samples [lo, hi), with a histogram of hits by the decile of x."""
    tally = Tally()
    histogram = tally.histogram
    hits = 0
    while lo < hi:
        block = lo // BLOCK
        block_hi = min((block + 1) * BLOCK, hi)
        rng = random.Random(f"{seed}:{block}")
        draw = rng.random
        for _ in range(2 * (lo - block * BLOCK)):
            draw()
        for _ in range(block_hi - lo):
            x = draw()
            y = draw()
            if x * x + y * y <= 1.0:
                hits += 1
                histogram[int(x * BINS)] += 1
        lo = block_hi
    tally.count = hits
    return tally


def run(params: Mapping[str, Any], lo: int, hi: int) -> Tally:
    """Kernel entry point: units are sample indices."""
    return count_hits(int(params["seed"]), lo, hi)
