"""Semaphore, Event and Condition: the guarantees each one gives."""

import math

from worker.lab import condition, event, semaphore


def test_semaphore_max_concurrency_equals_the_bound() -> None:
    c = semaphore.bounded(bound=2, workers=5, hold=0.05)
    assert c.clean
    assert c.peak == 2


def test_semaphore_of_one_serialises() -> None:
    c = semaphore.bounded(bound=1, workers=3, hold=0.02)
    assert c.clean
    assert c.peak == 1


def test_event_broadcast_wakes_every_worker_only_after_set() -> None:
    b = event.broadcast_start(3)
    assert b.clean
    assert len(b.latencies) == 3
    # None woke before the set (a negative latency), and every one woke (NaN: never).
    assert not [latency for latency in b.latencies if not 0 <= latency < math.inf], b.latencies


def test_event_cancel_stops_every_worker_cleanly() -> None:
    c = event.cooperative_cancel(2, run_for=0.05)
    assert c.clean  # exited 0 by itself: join_all terminates (and reports) any that ignore the flag
    # Each stopped after the flag was set (a negative latency: before it), and did stop.
    assert not [latency for latency in c.stop_latencies if not 0 <= latency < math.inf], c.stop_latencies


def test_condition_handoff_delivers_in_order_exactly_once() -> None:
    h = condition.handoff(300)
    assert h.clean
    assert h.received == list(range(300))
