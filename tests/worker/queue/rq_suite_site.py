"""The `sitecustomize` of every Python process that RQ's own test suite starts (test_rq_suite.py).

test_rq_suite.py copies it as sitecustomize.py next to the extracted `tests/` of RQ's sdist and puts that
directory on PYTHONPATH, so that it runs first in pytest, in the `rqworker` processes some tests start and
in any other Python process of theirs. It:

- sends every redis-py connection aimed at port 6379 (RQ's tests use `Redis()`, localhost:6379, and flush
  its databases 4-16) to the throw-away redis-server on RQ_SUITE_REDIS_PORT instead;
- puts the worker class under test (RQ_SUITE_WORKER: `simple` = stock rq.SimpleWorker, `lean` =
  worker.queue.lean.LeanWorker) in place of `rq.Worker`, `rq.SimpleWorker`, `rq.worker.Worker` and
  `rq.worker.SimpleWorker` before anything imports those names (module-level subclasses of the tests and
  the `rqworker` command's default `rq.Worker` included).
"""

import functools
import os
from typing import Any

import redis.connection
import rq
import rq.worker

from worker.queue.lean import LeanWorker

PORT = int(os.environ["RQ_SUITE_REDIS_PORT"])
RQ_PORT = 6379

_connection_init = redis.connection.Connection.__init__


@functools.wraps(_connection_init)
def _init_on_our_server(
    self: Any, host: str = "localhost", port: int = RQ_PORT, *args: Any, **kwargs: Any
) -> None:
    if int(port) == RQ_PORT:
        host, port = "127.0.0.1", PORT
    _connection_init(self, host, port, *args, **kwargs)


redis.connection.Connection.__init__ = _init_on_our_server  # type: ignore[method-assign]

STOCK = rq.worker.SimpleWorker
UNDER_TEST: type = {"simple": STOCK, "lean": LeanWorker}[os.environ["RQ_SUITE_WORKER"]]
for _module in (rq, rq.worker):
    _module.Worker = UNDER_TEST  # type: ignore[attr-defined]
    _module.SimpleWorker = UNDER_TEST  # type: ignore[attr-defined]
