"""The commands a redis-server runs meanwhile, from MONITOR (tests; `make bench`: bench.commands)."""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis


@contextmanager
def monitored(url: str) -> Iterator[list[dict]]:
    """The commands that the redis-server at `url` runs while inside, from MONITOR (filled on exit).

    Each is redis-py's parse: `command` ("XREAD BLOCK 100 ..."), `client_address` and `client_port`
    ("lua" for the commands of a script).
    """
    listener = redis.Redis.from_url(url, socket_timeout=None)
    control = redis.Redis.from_url(url)
    control.ping()  # connected now, so that none of its handshake is seen
    sentinel = f"end-of-monitor-{uuid.uuid4().hex}"
    seen: list[dict] = []

    with listener.monitor() as monitor:

        def listen() -> None:
            while (command := monitor.next_command())["command"] != f"ECHO {sentinel}":
                seen.append(command)

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        try:
            yield seen
        finally:
            control.echo(sentinel)
            thread.join(30)
            control.close()
    assert not thread.is_alive(), "MONITOR never saw the end of its watch"
