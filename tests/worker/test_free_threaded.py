"""The free-threaded runner (worker/runtimes/free_threaded.py): threads merging into one tally under one
`threading.Lock`, and the GIL checked off. On a Python with a GIL (the host's, the 3.13 worker image's) it
refuses with the reason; on CPython 3.14t (tests/e2e/test_free_threaded.py runs it in the worker-py314t
image) it runs exact with the GIL off."""

import subprocess
import sys
import threading

import pytest

from shared.plan import plan_job
from shared.tally import Tally
from tests.reference import sieve_tally
from tests.worker.ceiling_cli import ROOT
from worker.reference_data import reference_job
from worker.runtimes.free_threaded import LockedTally, gil_off_or_why, gil_reason, run_free_threaded
from worker.shares import deal, run_share


def test_the_gil_is_off_only_in_a_free_threaded_build_that_has_not_turned_it_back_on() -> None:
    assert gil_reason(free_threaded_build=True, enabled=False) == ""
    built_with = gil_reason(free_threaded_build=False, enabled=True, version="3.14.2 (main)")
    assert "needs a free-threaded CPython" in built_with and "3.14.2 (main)" in built_with, built_with
    assert "worker-py314t" in built_with
    turned_on = gil_reason(free_threaded_build=True, enabled=True)
    assert "the GIL is on" in turned_on and "extension module" in turned_on, turned_on


def test_threads_merging_their_shares_into_one_locked_tally_give_every_job_the_exact_answer() -> None:
    with reference_job("primes", 60_000, chunk_size=500) as reference:
        dealt = deal("primes", reference.params, plan_job(reference.job), 3, 8)
    tally = LockedTally(dealt.jobs)
    threads = [threading.Thread(target=lambda s=share: tally.merge(run_share(s))) for share in dealt.shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tally.answers == [sieve_tally(0, 60_000)] * 3


def test_a_merge_holds_the_lock_for_the_whole_partial() -> None:
    tally = LockedTally(1)
    with tally.lock:
        merging = threading.Thread(target=tally.merge, args=({0: Tally(5, [5] + [0] * 9)},))
        merging.start()
        merging.join(timeout=0.2)
        assert merging.is_alive() and tally.answers == [Tally()]
    merging.join()
    assert tally.answers == [Tally(5, [5] + [0] * 9)]


@pytest.mark.skipif(not gil_off_or_why(), reason="this Python runs free-threaded")
def test_with_a_gil_the_runner_and_the_cli_refuse_and_say_why() -> None:
    with reference_job("primes", 3_000) as reference:
        dealt = deal("primes", reference.params, plan_job(reference.job), 1, 2)
    with pytest.raises(RuntimeError, match="before the run: .*needs a free-threaded CPython"):
        run_free_threaded(dealt, 2)
    command = [
        sys.executable,
        "-m",
        "worker.ceiling",
        "primes",
        "3000",
        "1",
        "2",
        "--executor",
        "free-threaded",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == "", done
    assert "--executor free-threaded needs a free-threaded CPython" in done.stderr, done.stderr
