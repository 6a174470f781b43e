"""The soak's accounting (services/tools/soak/checker.py, restarted()): each way a 202 can go wrong is
counted, and only a run where every one finished exact passes."""

from services.tools.soak.__main__ import restarted
from services.tools.soak.checker import check, expected_answer
from tests.reference import sieve_tally

BODY = {"kernel": "primes", "params": {"start": 0, "stop": 1000}, "mode": "local"}


def test_the_expected_answer_is_the_sieves() -> None:
    tally = sieve_tally(0, 1000)
    assert expected_answer(BODY) == {"count": tally.count, "histogram": tally.histogram}


def test_every_kind_of_bad_end_is_caught() -> None:
    answer = expected_answer(BODY)
    accepted = [(f"j{i}", "k") for i in range(5)]
    ends = {
        "j0": {"status": "finished", "result": answer},
        "j1": {"status": "finished", "result": {**answer, "count": answer["count"] + 1}},
        "j2": {"status": "failed", "error": "WorkerLost"},
        "j3": {"status": "HTTP 404"},
        # j4: never seen ended
    }
    verdict = check(accepted, ends, {"k": answer})
    assert (verdict.accepted, verdict.exact, verdict.wrong, verdict.unended) == (5, 1, 1, 1)
    assert verdict.ended_otherwise == {"failed": 1, "HTTP 404": 1}
    assert [e["id"] for e in verdict.examples] == ["j1", "j2", "j3", "j4"]
    assert not verdict.ok
    assert check(accepted[:1], ends, {"k": answer}).ok


def test_a_restart_a_stop_or_a_new_container_is_reported_and_a_one_shot_exited_is_not() -> None:
    def state(count: int, status: str = "running", started: str = "t0") -> dict:
        return {"restart_count": count, "status": status, "started_at": started}

    before = {"api": state(0), "worker": state(0), "secret": state(0, "exited"), "redis": state(0)}
    after = {"api": state(1, started="t1"), "worker": state(0, "exited"), "secret": state(0, "exited")}
    after["new"] = state(0)
    assert restarted(before, after) == [
        "api: restarted 1 time(s)",
        "new: appeared",
        "redis: gone",
        "worker: running -> exited",
    ]
    assert restarted(before, before) == []
