"""The work estimate: a deterministic model, with its coefficients from the settings."""

import pytest

from shared import cost
from shared.settings import Settings

SETTINGS = Settings(
    cost_primes_unit_seconds=2e-7, cost_primes_trial_seconds=1e-7, cost_pi_sample_seconds=3e-7
)


def test_an_empty_range_costs_nothing() -> None:
    assert cost.estimate_seconds("primes", 10, 10, SETTINGS) == 0.0


def test_pi_costs_its_setting_per_sample_everywhere() -> None:
    assert cost.estimate_seconds("pi", 0, 100_000, SETTINGS) == pytest.approx(0.03, rel=1e-12)
    assert cost.estimate_seconds("pi", 10**7, 10**7 + 100_000, SETTINGS) == pytest.approx(0.03, rel=1e-12)


def test_a_primes_number_costs_the_unit_plus_its_trial_division() -> None:
    # By hand at n = 1e8: sqrt(n) = 1e4, ln(n) = 8 ln 10 = 18.42068, squared 339.3215; so the trial
    # term is 1e-7 * 1e4 / 339.3215 = 2.94706e-6, and the unit adds 2e-7.
    per_unit = cost.unit_cost("primes", SETTINGS)
    assert per_unit(10**8) == pytest.approx(3.14706e-6, rel=1e-5)
    # Below e^4 the trial term is held at its least value: small numbers cost the same.
    assert per_unit(3) == per_unit(50)
    assert per_unit(10**9) > per_unit(10**3)


@pytest.mark.parametrize(
    ("lo", "hi"), [(0, 10), (0, 1_000), (5, 10**5), (0, 10**6), (10**6, 2 * 10**6), (10**9 - 10**5, 10**9)]
)
def test_a_primes_range_is_the_sum_of_its_numbers(lo: int, hi: int) -> None:
    # Simpson's rule on the smooth model agrees with the sum over every number within 0.01 %.
    step = max(1, (hi - lo) // 20_000)
    per_unit = cost.unit_cost("primes", SETTINGS)
    exact = sum(per_unit(n + step / 2) * step for n in range(lo, hi, step))
    assert cost.estimate_seconds("primes", lo, hi, SETTINGS) == pytest.approx(exact, rel=1e-4)


def test_the_estimate_follows_the_settings_and_nothing_else() -> None:
    unit_only = SETTINGS.model_copy(update={"cost_primes_trial_seconds": 0.0})
    trial_only = SETTINGS.model_copy(update={"cost_primes_unit_seconds": 0.0})
    doubled = SETTINGS.model_copy(
        update={"cost_primes_unit_seconds": 4e-7, "cost_primes_trial_seconds": 2e-7}
    )
    # With no trial term every number costs the unit: 1e6 numbers x 2e-7 s = 0.2 s, by hand.
    assert cost.estimate_seconds("primes", 0, 10**6, unit_only) == pytest.approx(0.2, rel=1e-12)
    # The two coefficients add up, and scale the estimate linearly.
    one = cost.estimate_seconds("primes", 0, 10**6, SETTINGS)
    trial = cost.estimate_seconds("primes", 0, 10**6, trial_only)
    assert trial > 0 and one == pytest.approx(0.2 + trial, rel=1e-12)
    assert cost.estimate_seconds("primes", 0, 10**6, doubled) == pytest.approx(2 * one, rel=1e-12)


def test_an_unknown_kernel_has_no_model() -> None:
    with pytest.raises(ValueError):
        cost.estimate_seconds("sort", 0, 10, SETTINGS)
