"""`make chaos SCHEDULE=random`'s schedule (services/tools/loadtest/schedule.py): pure, from a seed."""

from collections import Counter

from services.tools.loadtest.schedule import KINDS, overlapping, random_schedule


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another() -> None:
    first = random_schedule(seed=7, duration=600, workers=2)
    assert first == random_schedule(seed=7, duration=600, workers=2)
    assert first != random_schedule(seed=8, duration=600, workers=2)


def test_ten_minutes_fire_every_kind_at_least_three_times_with_overlaps() -> None:
    for seed in (1, 2, 3):
        schedule = random_schedule(seed=seed, duration=600, workers=2)
        kinds = Counter(f.kind for f in schedule)
        assert set(kinds) == set(KINDS) and min(kinds.values()) >= 3, kinds
        assert overlapping(schedule) >= 5
        assert all(0 < f.at < 600 for f in schedule)
        assert [f.at for f in schedule] == sorted(f.at for f in schedule)
        assert {f.target for f in schedule if KINDS[f.kind][0] == "worker"} == {0, 1}


def test_two_faults_never_hold_the_same_target_at_once() -> None:
    schedule = random_schedule(seed=5, duration=600, workers=2, mean_gap=2)
    by_target: dict[str, list] = {}
    for fault in schedule:
        by_target.setdefault(fault.resource, []).append(fault)
    for faults in by_target.values():
        for before, after in zip(faults, faults[1:], strict=False):
            assert after.at >= before.at + before.hold + 1 - 1e-6  # healed a second before


def test_a_pause_outlasts_the_heartbeat_timeout() -> None:
    pauses = [
        f
        for f in random_schedule(seed=3, duration=600, workers=2, heartbeat_timeout=5)
        if f.kind == "pause-worker"
    ]
    assert pauses and all(7.5 <= f.hold <= 15 for f in pauses)


def test_a_schedule_of_one_kind_deals_only_that_kind_and_all_kinds_is_the_default() -> None:
    kills = random_schedule(seed=4, duration=300, workers=2, kinds=["kill-redis"])
    assert {f.kind for f in kills} == {"kill-redis"} and len(kills) >= 20, len(kills)
    # One target at a time: each kill is healed (started again) a second before the next.
    assert all(b.at >= a.at + a.hold + 1 - 1e-6 for a, b in zip(kills, kills[1:], strict=False))
    assert random_schedule(seed=4, duration=600, workers=2, kinds=list(KINDS)) == random_schedule(
        seed=4, duration=600, workers=2
    )
