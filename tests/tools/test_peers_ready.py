"""services/peers/ready.py on a real redis-server: a container's processes counted by its hostname, the
wait returning once every named container has enough, and a clear error naming the counts when one never
does; the healthcheck's file written with the mark."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from services.peers import ready
from tests.helpers import own_redis_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def connection() -> Iterator[redis.Redis]:
    yield from own_redis_client()


def test_processes_counted_per_container_and_waited_for(
    connection: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ready, "READY_FILE", tmp_path / "peer-ready")
    here = socket.gethostname()
    ready.mark(connection, "celery", [101, 102])
    assert (tmp_path / "peer-ready").is_file()
    # An old container's member, and another peer's: neither counts for the containers named.
    connection.sadd(ready.key("celery"), "gone:7")
    ready.mark(connection, "dramatiq", [103])
    assert ready.processes(connection, "celery", [here, "other"]) == {here: 2, "other": 0}
    assert ready.wait(lambda: ready.processes(connection, "celery", [here]), "celery", 2, 5) == {here: 2}
    # More than asked for is reported as it is, not waited on: the caller checks it against the quota.
    assert ready.wait(lambda: ready.processes(connection, "celery", [here]), "celery", 1, 5) == {here: 2}


def test_a_container_that_never_consumes_is_named(connection: redis.Redis) -> None:
    with pytest.raises(TimeoutError, match=r"dask: not every worker container consumes .*'quiet': 0"):
        ready.wait(lambda: ready.processes(connection, "dask", ["quiet"]), "dask", 1, 0.5)


def test_a_transient_error_is_tried_again_and_the_last_one_raised() -> None:
    errors = [redis.ConnectionError("Name or service not known")] * 2

    def read() -> dict[str, int]:
        if errors:
            raise errors.pop()
        return {"a": 1}

    assert ready.wait(read, "celery", 1, 5, transient=(redis.ConnectionError,)) == {"a": 1}

    def never() -> dict[str, int]:
        raise redis.ConnectionError("Name or service not known")

    with pytest.raises(redis.ConnectionError, match="Name or service not known"):
        ready.wait(never, "celery", 1, 0.5, transient=(redis.ConnectionError,))
