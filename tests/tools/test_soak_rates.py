"""The soak's minute rates (services/tools/soak/rates.py), on hand-made acceptances and samples."""

import math

import pytest

from services.tools.soak.rates import cpu_between, decay, minutes, per_minute
from services.tools.soak.sampler import PROBE_LOOP, probe_ms


def test_whole_minutes_from_the_start_only() -> None:
    # 120 jobs before the start (the window filling), then 60 in minute 0, 30 in minute 1, 6 in a last
    # partial minute that is left out.
    times = [-5.0] * 120 + [10.0 + i * 0.5 for i in range(60)] + [61.0 + i for i in range(30)] + [125.0] * 6
    rows = per_minute(times, start=0.0, end=130.0)
    assert [row["per_second"] for row in rows] == [1.0, 0.5]
    assert [row["at"] for row in rows] == [0.0, 60.0]


def _sample(
    at: float,
    accepted: int,
    stack: dict[str, float],
    engine: float,
    soak: float,
    steal: float,
    busy: float = 0.0,
) -> dict:
    return {
        "at": at,
        "accepted": accepted,
        "cpu": {
            "containers": stack,
            "engine": engine,
            "soak": soak,
            # Busy time split over two kinds, as the kernel's user and system; idle and steal are not busy.
            "host": {"user": busy / 2, "system": busy / 2, "steal": steal, "idle": at / 10},
        },
    }


def test_cpu_between_two_samples() -> None:
    before = _sample(100.0, 1000, {"api": 10.0, "worker": 50.0}, 2.0, 3.0, 1.0, busy=500.0)
    # 20 s: the api used 4 s, the worker 30 s, a container seen only now is not counted; 170 jobs. The
    # host was busy 40 s: 34 the stack's, 1 the engine's, 4 the soak's, 1 something else's.
    after = _sample(120.0, 1170, {"api": 14.0, "worker": 80.0, "new": 99.0}, 3.0, 7.0, 1.5, busy=540.0)
    cpu = cpu_between(before, after)
    assert cpu["stack_cores"] == pytest.approx(34 / 20)
    assert cpu["stack_ms_per_job"] == pytest.approx(34_000 / 170)
    assert cpu["ms_per_job"] == pytest.approx({"api": 4_000 / 170, "worker": 30_000 / 170})
    assert cpu["engine_cores"] == pytest.approx(1 / 20)
    assert cpu["soak_cores"] == pytest.approx(4 / 20)
    assert cpu["steal_cores"] == pytest.approx(0.5 / 20)
    assert cpu["other_cores"] == pytest.approx(1 / 20)
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


def test_decay_at_the_first_minutes_machine_speed() -> None:
    # The machine ran 25 % slower (its loop took 1.25x as long) in the second minute and the rate fell by
    # as much: at the first minute's speed, nothing was lost. The last minute lost 10 % at the same speed.
    rows = [
        {"per_second": 80.0, "probe_ms": 4.0},
        {"per_second": 64.0, "probe_ms": 5.0},
        {"per_second": 72.0, "probe_ms": 4.0},
    ]
    found = decay(rows)
    assert found["lowest_share"] == pytest.approx(0.8)
    assert found["adjusted_lowest_share"] == pytest.approx(0.9)
    assert found["adjusted_last_share"] == pytest.approx(0.9)
    assert found["speed_range"] == pytest.approx((1.0, 1.25))
    # A minute with no probe: no adjusted shares at all.
    assert "adjusted_last_share" not in decay([*rows, {"per_second": 70.0}])


def test_minutes_take_the_mean_probe_of_their_samples() -> None:
    samples = [{"at": at, "accepted": 0, "probe_ms": p} for at, p in ((0, 4.0), (30, 6.0), (60, 3.0))]
    rows = minutes([float(i) for i in range(120)], samples, start=0.0, end=120.0)
    assert [row["probe_ms"] for row in rows] == [5.0, 3.0]


def test_the_probe_counts_cpu_time_not_waiting() -> None:
    import threading
    import time

    # Time a thread waits (for the GIL here, for a core under load) is not in its CPU time.
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(1000))

    other = threading.Thread(target=spin)
    other.start()
    try:
        began = time.perf_counter()
        contended = probe_ms()
        wall_ms = 1000 * (time.perf_counter() - began)
    finally:
        stop.set()
        other.join()
    # The three runs of PROBE_LOOP shared the GIL with the spinning thread, about half each: their wall
    # time is about twice their CPU time, and the probe is the CPU time (a wall-clock probe would give
    # about a third of the wall time here).
    assert PROBE_LOOP > 0 and 0 < contended * 3 < 0.75 * wall_ms
