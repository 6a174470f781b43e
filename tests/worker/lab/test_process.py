"""Process lifecycle facts and start methods: every state reports what the docs say it does."""

import multiprocessing

import pytest

from worker.lab import process, start_methods


def test_lifecycle_facts_all_hold() -> None:
    facts, _ = process.lifecycle()
    assert facts and all(facts.values()), {k: v for k, v in facts.items() if not v}


@pytest.mark.parametrize(
    "method", [m for m in start_methods.METHODS if m in multiprocessing.get_all_start_methods()]
)
def test_every_start_method_runs_a_child_and_a_pool(method: str) -> None:
    # Under spawn and forkserver the child imports the target by module name: this checks it can.
    assert start_methods.start_join(method)[1]
    assert start_methods.pool_cycle(method)[1]
