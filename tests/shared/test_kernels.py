"""The kernels give exact, known answers, and any chunking merges to the one-piece answer."""

import random

import pytest

from shared.chunking import split
from shared.kernels import run_kernel
from shared.kernels.pi import BLOCK, count_hits
from shared.kernels.primes import base_primes, count_primes
from shared.tally import Tally
from tests.reference import LAST_DIGITS_BELOW_1E6, PRIMES_BELOW_1E6, sieve_tally


def test_primes_below_a_million_match_the_known_count_and_last_digits() -> None:
    tally = count_primes(0, 1_000_000)
    assert tally.count == PRIMES_BELOW_1E6
    assert tally.histogram == LAST_DIGITS_BELOW_1E6


@pytest.mark.parametrize(
    ("lo", "hi"),
    [
        (0, 0),
        (0, 1),
        (0, 2),
        (0, 3),
        (2, 3),
        (3, 4),
        (4, 5),
        (0, 100),
        (97, 98),
        (98, 1000),
        (999_000, 1_010_000),
    ],
)
def test_primes_agree_with_an_independent_sieve(lo: int, hi: int) -> None:
    assert count_primes(lo, hi) == sieve_tally(lo, hi)


def test_base_primes_are_the_primes_up_to_the_limit() -> None:
    assert base_primes(1) == ()
    assert base_primes(30) == (2, 3, 5, 7, 11, 13, 17, 19, 23, 29)
    assert len(base_primes(10_000)) == 1229


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_primes_any_split_merges_to_the_whole(seed: int) -> None:
    lo, hi = 123_456, 234_567
    rng = random.Random(seed)
    cuts = sorted({lo, hi, *(rng.randrange(lo, hi) for _ in range(rng.randrange(1, 30)))})
    merged = Tally()
    for a, b in zip(cuts, cuts[1:], strict=False):
        merged.merge(count_primes(a, b))
    assert merged == count_primes(lo, hi)


def pi_reference(seed: int, lo: int, hi: int) -> Tally:
    """Brute force: every sample's point read from its block's whole stream of draws, no skipping ahead."""
    tally = Tally()
    streams: dict[int, list[float]] = {}
    for i in range(lo, hi):
        block, at = divmod(i, BLOCK)
        if block not in streams:
            rng = random.Random(f"{seed}:{block}")
            streams[block] = [rng.random() for _ in range(2 * BLOCK)]
        x, y = streams[block][2 * at], streams[block][2 * at + 1]
        if x * x + y * y <= 1.0:
            tally.count += 1
            tally.histogram[int(x * 10)] += 1
    return tally


def test_pi_is_reproducible_for_a_seed_and_differs_between_seeds() -> None:
    """Samples from mid-block to mid-block, across a block boundary: the points a reference draws from
    each block's whole stream; another seed, other points."""
    lo, hi = BLOCK - 3_000, BLOCK + 2_000
    expected = pi_reference(7, lo, hi)
    assert count_hits(7, lo, hi) == expected and expected.count > 0
    assert count_hits(8, lo, hi) != expected


def test_pi_estimate_is_close_and_histogram_sums_to_hits() -> None:
    tally = count_hits(42, 0, 200_000)
    assert abs(4 * tally.count / 200_000 - 3.14159) < 0.02
    assert sum(tally.histogram) == tally.count
    # Fewer points of the quarter circle lie at large x: hits fall with the decile of x.
    assert tally.histogram == sorted(tally.histogram, reverse=True)


@pytest.mark.parametrize("chunk_size", [1_000, BLOCK - 1, BLOCK, BLOCK + 7, 50_001])
def test_pi_any_chunking_merges_to_the_whole(chunk_size: int) -> None:
    samples = 3 * BLOCK + 123
    merged = Tally()
    for lo, hi in split(range(samples), chunk_size):
        merged.merge(run_kernel("pi", {"seed": 9, "samples": samples}, lo, hi))
    assert merged == count_hits(9, 0, samples)
