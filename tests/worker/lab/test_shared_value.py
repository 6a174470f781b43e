"""With the lock, or with local accumulation and one merge, the shared count is exact."""

import pytest

from worker.lab import shared_value


def test_lock_per_increment_is_exact() -> None:
    outcome = shared_value.contend("locked", 5_000)
    assert outcome.clean
    assert outcome.count == outcome.expected == 10_000


def test_local_accumulation_and_one_merge_is_exact() -> None:
    outcome = shared_value.contend("merged", 5_000)
    assert outcome.clean
    assert outcome.count == outcome.histogram_total == 10_000


@pytest.mark.parametrize("variant", ["raw", "synced"])
def test_unlocked_updates_can_be_lost_but_never_invented(variant: str) -> None:
    # How many are lost depends on scheduling (zero is possible): only the bound is a fact.
    outcome = shared_value.contend(variant, 5_000)
    assert outcome.clean
    assert 0 < outcome.count <= outcome.expected


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(ValueError):
        shared_value.contend("optimistic", 1)
