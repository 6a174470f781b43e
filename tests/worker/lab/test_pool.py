"""Every Pool API gives the same answers; chunksize changes the cost, never the result."""

from worker.lab import pool_api as pool


def test_pool_api_variants_return_the_same_results() -> None:
    results = pool.api_variants(200, 2)
    expected = [x * x for x in range(200)]
    assert set(results) == {"map", "imap", "imap_unordered", "starmap", "apply_async"}
    assert all(got == expected for got in results.values())


def test_chunksize_sweep_runs_every_chunksize_to_the_same_answer() -> None:
    runs = pool.per_item(500, (1, 7, 50, 500), 2)
    assert sorted(runs) == [1, 7, 50, 500]
    # 7 does not divide 500: the last chunk is short, and no item is lost or repeated.
    squares = [x * x for x in range(500)]
    assert {chunksize: run.results == squares for chunksize, run in runs.items()} == dict.fromkeys(runs, True)
