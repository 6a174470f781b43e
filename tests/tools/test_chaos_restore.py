"""`make chaos` puts its fault back whatever happens (services/tools/loadtest/faults.py `injected`).

The fault here records what is done to the stack instead of doing it; tests/e2e/test_faults.py shows the
same with a real worker container stopped and a Ctrl-C.
"""

import pytest

from services.tools.loadtest.faults import Fault, injected


def recording_fault(fail_inject: bool = False) -> tuple[Fault, list[str]]:
    done: list[str] = []

    def inject(victim: object, redis: object) -> None:
        done.append("inject")
        if fail_inject:
            raise RuntimeError("no pool process found")

    return Fault("recorded", "records", inject, lambda victim, redis: done.append("restore")), done


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, RuntimeError, TimeoutError])
def test_the_fault_is_restored_when_the_wait_is_interrupted(interruption: type[BaseException]) -> None:
    fault, done = recording_fault()
    with pytest.raises(interruption), injected(fault, None, None):  # type: ignore[arg-type]
        assert done == ["inject"]
        raise interruption
    assert done == ["inject", "restore"]


def test_the_fault_is_restored_when_it_ends_normally_or_fails_halfway() -> None:
    fault, done = recording_fault()
    with injected(fault, None, None):  # type: ignore[arg-type]
        pass
    assert done == ["inject", "restore"]
    fault, done = recording_fault(fail_inject=True)
    with pytest.raises(RuntimeError, match="no pool process"), injected(fault, None, None):  # type: ignore[arg-type]
        pytest.fail("the body runs only once the fault is in place")
    assert done == ["inject", "restore"]
