"""A pytest plugin for RQ's own test suite, loaded by test_rq_suite.py in a subprocess (`-p rq_suite_plugin`).

rq_suite_site.py (the subprocess's sitecustomize) has already pointed port 6379 at our redis-server and put
the worker class under test in place of RQ's. This plugin:

- refuses to start unless the Redis that RQ's `Redis()` reaches is the server test_rq_suite.py started
  (RQ_SUITE_REDIS_RUN_ID): the suite flushes databases and must never touch a Redis it did not start;
- counts the jobs that the class under test executed in this process and writes the count, with the class,
  to RQ_SUITE_REPORT at the end, so that the caller can tell the substitution took effect.
"""

import functools
import json
import os
from typing import Any

import pytest
import redis
import rq
import sitecustomize

RUN_ID = os.environ["RQ_SUITE_REDIS_RUN_ID"]
REPORT = os.environ["RQ_SUITE_REPORT"]
UNDER_TEST: type = sitecustomize.UNDER_TEST
assert rq.Worker is UNDER_TEST and rq.SimpleWorker is UNDER_TEST

_executed = 0
_execute_job = UNDER_TEST.execute_job


@functools.wraps(_execute_job)
def _counted(self: Any, *args: Any, **kwargs: Any) -> Any:
    global _executed
    _executed += 1
    return _execute_job(self, *args, **kwargs)


UNDER_TEST.execute_job = _counted  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    with redis.Redis() as client:
        run_id = client.info("server")["run_id"]
    if run_id != RUN_ID:
        raise pytest.UsageError(f"the Redis that RQ's tests reach is not the one started for them ({run_id})")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    with open(REPORT, "w") as out:
        json.dump({"class": f"{UNDER_TEST.__module__}.{UNDER_TEST.__qualname__}", "executed": _executed}, out)
