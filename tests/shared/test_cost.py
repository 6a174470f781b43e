"""The work estimate behind the automatic chunk size: cached per magnitude, proportional to the units."""

from shared import cost


def test_an_empty_range_costs_nothing() -> None:
    assert cost.estimate_seconds("primes", 10, 10) == 0.0


def test_pi_costs_the_same_per_sample_everywhere() -> None:
    one = cost.estimate_seconds("pi", 0, 100_000)
    assert one > 0
    assert cost.estimate_seconds("pi", 0, 200_000) == 2 * one
    assert cost.estimate_seconds("pi", 10**7, 10**7 + 100_000) == one


def test_primes_cost_more_per_number_as_numbers_grow() -> None:
    assert cost.unit_seconds("primes", 10**9) > cost.unit_seconds("primes", 10**3)


def test_a_magnitude_is_sampled_once() -> None:
    cost.unit_seconds("primes", 5_000_000)
    hits = cost._bucket_unit_seconds.cache_info().hits
    cost.unit_seconds("primes", 5_100_000)  # the same half-octave
    assert cost._bucket_unit_seconds.cache_info().hits == hits + 1
