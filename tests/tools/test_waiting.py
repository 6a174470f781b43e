"""The host tools' one poll loop: a value once the probe has one, failures counted as not yet, and at the
deadline a TimeoutError that names what was awaited and the last failure."""

import pytest

from services.tools.waiting import settled, wait_for


def test_the_first_value_is_returned_after_nones_and_failures() -> None:
    answers = iter([None, ConnectionError("refused"), None, 7, 8])

    def probe() -> int | None:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert wait_for(probe, 10, "the answer", interval=0.001) == 7
    assert next(answers) == 8  # asked exactly four times


def test_the_deadline_names_what_and_the_last_failure() -> None:
    def probe() -> None:
        raise ConnectionError("refused")

    with pytest.raises(TimeoutError, match=r"redis-server not ready after 0.05s \(last error: Connection"):
        wait_for(probe, 0.05, "redis-server", interval=0.01)


def test_settled_says_whether_the_state_came_before_the_deadline() -> None:
    answers = iter([False, RuntimeError("loading"), True, False])

    def probe() -> bool:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert settled(probe, 10, interval=0.001) is True
    assert next(answers) is False  # asked exactly three times
    assert settled(lambda: False, 0.05, interval=0.01) is False
