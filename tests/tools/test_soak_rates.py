"""The soak's minute rates (services/tools/soak/rates.py), on hand-made acceptances and samples."""

import math

import pytest

from services.tools.soak.rates import cpu_between, decay, minutes, per_minute


def test_whole_minutes_from_the_start_only() -> None:
    # 120 jobs before the start (the window filling), then 60 in minute 0, 30 in minute 1, 6 in a last
    # partial minute that is left out.
    times = [-5.0] * 120 + [10.0 + i * 0.5 for i in range(60)] + [61.0 + i for i in range(30)] + [125.0] * 6
    rows = per_minute(times, start=0.0, end=130.0)
    assert [row["per_second"] for row in rows] == [1.0, 0.5]
    assert [row["at"] for row in rows] == [0.0, 60.0]


def _sample(
    at: float, accepted: int, stack: dict[str, float], engine: float, soak: float, steal: float
) -> dict:
    return {
        "at": at,
        "accepted": accepted,
        "cpu": {
            "containers": stack,
            "engine": engine,
            "soak": soak,
            "host": {"steal": steal, "idle": at / 10},
        },
    }


def test_cpu_between_two_samples() -> None:
    before = _sample(100.0, 1000, {"api": 10.0, "worker": 50.0}, 2.0, 3.0, 1.0)
    # 20 s: the api used 4 s, the worker 30 s, a container seen only now is not counted; 170 jobs.
    after = _sample(120.0, 1170, {"api": 14.0, "worker": 80.0, "new": 99.0}, 3.0, 7.0, 1.5)
    cpu = cpu_between(before, after)
    assert cpu["stack_cores"] == pytest.approx(34 / 20)
    assert cpu["stack_ms_per_job"] == pytest.approx(34_000 / 170)
    assert cpu["ms_per_job"] == pytest.approx({"api": 4_000 / 170, "worker": 30_000 / 170})
    assert cpu["engine_cores"] == pytest.approx(1 / 20)
    assert cpu["soak_cores"] == pytest.approx(4 / 20)
    assert cpu["steal_cores"] == pytest.approx(0.5 / 20)
    assert cpu["idle_cores"] == pytest.approx((12 - 10) / 20)
    assert math.isnan(cpu_between(before, {**after, "accepted": 1000})["stack_ms_per_job"])


def test_each_minute_takes_the_samples_that_bracket_it() -> None:
    samples = [
        _sample(0.0, 0, {"w": 0.0}, 0.0, 0.0, 0.0),
        _sample(30.0, 30, {"w": 30.0}, 0.0, 0.0, 0.0),
        {"at": 55.0, "accepted": 55},  # no CPU reading: skipped
        _sample(60.0, 60, {"w": 60.0}, 0.0, 0.0, 0.0),
        _sample(120.0, 90, {"w": 90.0}, 0.0, 0.0, 0.0),
    ]
    times = [float(i) for i in range(60)] + [60.0 + 2 * i for i in range(30)]
    rows = minutes(times, samples, start=0.0, end=150.0)
    assert [row["per_second"] for row in rows] == [1.0, 0.5]
    assert rows[0]["stack_cores"] == pytest.approx(1.0)
    assert rows[0]["stack_ms_per_job"] == pytest.approx(1000.0)
    assert rows[1]["stack_cores"] == pytest.approx(0.5)
    assert rows[1]["stack_ms_per_job"] == pytest.approx(1000.0)
    # A minute no samples bracket has its rate alone.
    assert "stack_cores" not in minutes(times, samples[:2], start=0.0, end=150.0)[1]


def test_decay_against_the_first_minute() -> None:
    rows = [{"per_second": r} for r in (80.0, 60.0, 72.0)]
    assert decay(rows) == {
        "first": 80.0,
        "last": 72.0,
        "lowest": 60.0,
        "last_share": 0.9,
        "lowest_share": 0.75,
    }
    assert decay([]) == {} and decay([{"per_second": 0.0}]) == {}
