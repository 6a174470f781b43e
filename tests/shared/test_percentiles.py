"""The one percentile every figure uses: nearest rank, an observed value."""

from shared.percentiles import percentile


def test_nearest_rank_picks_an_observed_value() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert [percentile(values, p) for p in (25, 50, 75, 95, 100)] == [1.0, 2.0, 3.0, 4.0, 4.0]
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([7.5], 99) == 7.5
    assert percentile([], 50) is None
