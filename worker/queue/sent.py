"""A script sent now and answered later: LeanWorker's take of the next chunk, sent before the chunk in hand
runs, so its round trip (Redis running the script, the wake-ups on both sides) overlaps that chunk's
kernel instead of leaving the container's CPU idle between two chunks.

The script goes out on a connection of its own, taken from the client's pool and given back once its
reply is read (redis-py's `send_command` / `read_response`, as its pub/sub does). The reply waits in the
socket meanwhile. Whatever stops that reply being read (a lost connection, a timeout, Redis out of memory
or restarted without its scripts) sends the same script again through the client, riding Redis out as
any write that ends a job does (worker.queue.recovery). Every script sent this way may run twice: a
resent merge is merged once and a resent take answers the job it took (worker.queue.lean).
"""

from collections.abc import Callable
from typing import Any

import redis
from redis.exceptions import NoScriptError

from shared.redis_script import NamedScript
from worker.queue import recovery

# What makes the reply unreadable, fixed by sending the script again (recovery.persist then rides out
# what lasts): the connection lost or timed out, Redis refusing a write, the script unknown to Redis.
_RESEND = (*recovery.REFUSALS, NoScriptError, OSError)


class Sent:
    """One script in flight: send it with `Sent(...)`, read its reply with `reply()`, once."""

    def __init__(self, client: redis.Redis, what: str, script: NamedScript, **call: Any) -> None:
        self.what = what
        self._pool = client.connection_pool
        self._resend: Callable[[], Any] = lambda: script(**call)
        command = script.evalsha_args(**call)
        self._connection: Any = None
        try:
            self._connection = self._pool.get_connection()
            self._connection.send_command(*command)
        except _RESEND:
            # No connection (Redis away), or the script not sent whole: the reply will be the resend's.
            self._release(disconnect=True)

    def reply(self) -> Any:
        """The script's reply: read from its connection, or that of the same script sent again."""
        if self._connection is None:
            return recovery.persist(self.what, self._resend)
        try:
            raw = self._connection.read_response()
        except _RESEND:
            self._release(disconnect=True)
            return recovery.persist(self.what, self._resend)
        except BaseException:
            # A script error (a bug: raised, as a call through the client raises it), or an interrupt.
            self._release(disconnect=True)
            raise
        self._release(disconnect=False)
        return raw

    def _release(self, disconnect: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if disconnect:
            # Half a reply may be left in it: the pool gets it back closed, to connect again when used.
            connection.disconnect()
        self._pool.release(connection)
