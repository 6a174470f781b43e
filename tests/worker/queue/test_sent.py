"""A script sent now and answered later (worker.queue.sent): its reply read from its own connection, or,
when that reply cannot be read, the reply of the same script sent again through the client.

On a redis-server of this module's own: the tests flush its scripts and close its clients' connections.
"""

from collections.abc import Iterator

import pytest
import redis

from services.tools.local_stack import redis_server
from shared.redis_script import NamedScript
from worker.queue.sent import Sent

pytestmark = pytest.mark.integration

# Counts its runs: a resend shows as one more.
COUNT = "return redis.call('INCR', K.runs)"
FAIL = "return redis.error_reply('refused by the script')"
RUNS = {"runs": "runs"}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def client(server: str) -> Iterator[redis.Redis]:
    """A client of one connection: a command it sends while a script is in flight waits for that one."""
    pool = redis.BlockingConnectionPool.from_url(server, max_connections=1, timeout=0.2)
    client = redis.Redis(connection_pool=pool)
    client.flushall()
    client.script_flush()
    yield client
    client.close()


def lent(client: redis.Redis) -> bool:
    """Whether the client's one connection is lent (to the script in flight)."""
    try:
        client.ping()
    except redis.exceptions.ConnectionError as refused:
        assert "No connection available" in str(refused)
        return True
    return False


def test_the_reply_is_read_from_its_own_connection_which_goes_back_to_the_pool(client: redis.Redis) -> None:
    script = NamedScript(client, COUNT, ["runs"], [])
    assert script(keys=RUNS, args={}) == 1  # loaded
    sent = Sent(client, "count", script, keys=RUNS, args={})
    assert lent(client)
    assert sent.reply() == 2 and not lent(client)
    assert client.get("runs") == b"2"


def test_an_unknown_script_is_loaded_and_sent_again(client: redis.Redis) -> None:
    script = NamedScript(client, COUNT, ["runs"], [])
    sent = Sent(client, "count", script, keys=RUNS, args={})
    assert sent.reply() == 1 and not lent(client)
    assert client.get("runs") == b"1"  # refused (NOSCRIPT), then loaded and run once


def test_a_connection_closed_before_its_reply_came_sends_the_script_again(
    server: str, client: redis.Redis
) -> None:
    """The connection closed with the script sent and unanswered (a Redis restart, a proxy): it is sent
    again through the client, and the reply is that run's. Redis holds the script (CLIENT PAUSE WRITE)
    until its connection is closed, so here it ran once, as the resend."""
    script = NamedScript(client, COUNT, ["runs"], [])
    script(keys=RUNS, args={})
    other = redis.Redis.from_url(server)
    other.client_pause(10_000, all=False)
    sent = Sent(client, "count", script, keys=RUNS, args={})
    assert other.client_kill_filter(_type="normal", skipme=True) >= 1  # the one in flight among them
    other.client_unpause()
    assert sent.reply() == 2 and not lent(client)
    assert other.get("runs") == b"2"


def test_no_connection_to_send_it_on_sends_it_when_its_reply_is_wanted(
    client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis away when the script is to be sent (the pool cannot connect): nothing is raised then; the
    script goes out, through the client and its ride-out, when its reply is read."""
    script = NamedScript(client, COUNT, ["runs"], [])
    script(keys=RUNS, args={})
    pool, refused = client.connection_pool, []
    get_connection = pool.get_connection

    def away_once(*args: object, **kwargs: object) -> object:
        if not refused:
            refused.append(True)
            raise redis.exceptions.ConnectionError("Error 111 connecting: Connection refused.")
        return get_connection(*args, **kwargs)

    monkeypatch.setattr(pool, "get_connection", away_once)
    sent = Sent(client, "count", script, keys=RUNS, args={})
    assert refused == [True] and client.get("runs") == b"1"  # not sent yet
    assert sent.reply() == 2 and not lent(client)
    assert client.get("runs") == b"2"


def test_a_script_error_is_raised_and_its_connection_given_back(client: redis.Redis) -> None:
    script = NamedScript(client, FAIL, [], [])
    with pytest.raises(redis.exceptions.ResponseError, match="refused by the script"):
        script(keys={}, args={})
    sent = Sent(client, "fail", script, keys={}, args={})
    with pytest.raises(redis.exceptions.ResponseError, match="refused by the script"):
        sent.reply()
    assert not lent(client)
