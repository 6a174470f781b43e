"""Every Pool API gives the same answers; chunksize changes the cost, never the result."""

from worker.lab import pool_api as pool


def test_pool_api_variants_return_the_same_results() -> None:
    results = pool.api_variants(200, 2)
    expected = [x * x for x in range(200)]
    assert set(results) == {"map", "imap", "imap_unordered", "starmap", "apply_async"}
    assert all(got == expected for got in results.values())


def test_chunksize_sweep_reports_every_chunksize() -> None:
    costs = pool.per_item(500, (1, 50, 500), 2)
    assert sorted(costs) == [1, 50, 500]
    assert all(c > 0 for c in costs.values())
