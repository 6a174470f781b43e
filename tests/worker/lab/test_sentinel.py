"""A sentinel-stopped pipeline delivers every item exactly once, to some consumer, and ends."""

from collections import Counter

import pytest

from worker.lab import sentinel
from worker.lab.procs import context


@pytest.mark.parametrize(("producers", "consumers"), [(1, 1), (2, 2), (3, 2)])
def test_sentinel_consumers_receive_every_message_exactly_once(producers: int, consumers: int) -> None:
    result = sentinel.pipeline(producers, consumers, 300)
    assert result.clean
    assert sorted(result.received) == list(range(consumers))
    got = Counter(item for taken in result.received.values() for item in taken)
    assert got == Counter((p, s) for p in range(producers) for s in range(300))


def test_each_producer_items_arrive_in_its_order_per_consumer() -> None:
    # One producer's items are FIFO through the queue: a consumer sees its share in rising order.
    result = sentinel.pipeline(1, 2, 500)
    for taken in result.received.values():
        seqs = [s for _, s in taken]
        assert seqs == sorted(seqs)


def test_empty_probe_counts_only_the_puts_empty_denies() -> None:
    # A SimpleQueue writes the item to its pipe inside put(): empty() is right every time.
    simple = context().SimpleQueue()
    assert sentinel.empty_right_after_put(20, simple) == 0
    assert simple.empty()  # every probe took its item back
