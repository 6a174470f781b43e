"""Redis connections that wait for Redis at start-up, with a bounded tenacity retry."""

import logging
from math import ceil
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from tenacity import (
    RetryError,
    before_sleep_log,
    retry,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_delay,
    wait_exponential,
)

log = logging.getLogger(__name__)

# Longest wait between two tries of a command while riding out a Redis restart.
RIDE_OUT_STEP = 1.0
# Seconds a blocking client's socket waits for a reply beyond the longest block it may ask for.
BLOCK_MARGIN = 5.0

# Worth waiting for (Redis starting, loading its AOF, or briefly away) ...
_TRANSIENT = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# ... unlike a wrong password, which no amount of waiting fixes.
_FINAL = (redis.exceptions.AuthenticationError, redis.exceptions.AuthorizationError)


class RedisUnavailable(RuntimeError):
    """Redis did not answer within the allowed time."""


def redacted(url: str) -> str:
    """The URL with any password replaced, for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str, wait_seconds: float, ride_out_seconds: float = 0) -> redis.Redis:
    """A client for `url` once Redis answers PING; RedisUnavailable after `wait_seconds`.

    With `ride_out_seconds`, every command that finds Redis away (a restart) is retried for about that
    long before it raises: a worker in the middle of a job then finishes it instead of failing it.
    The API passes 0 and answers 503 at once instead (redis-py's own default for a client made from
    a URL: no retry). Replies are awaited for redis-py's default socket timeout (5 s).
    """
    options: dict = {}
    if ride_out_seconds > 0:
        # redis-py's Retry (a library, as tenacity is) at the connection layer, where every command of
        # ours and of RQ's passes; backoff up to RIDE_OUT_STEP seconds per try.
        options["retry"] = Retry(
            ExponentialBackoff(cap=RIDE_OUT_STEP, base=0.05), ceil(ride_out_seconds / RIDE_OUT_STEP)
        )
        options["retry_on_error"] = [redis.exceptions.ConnectionError]
    return _answering(url, wait_seconds, redis.Redis.from_url(url, **_COMMON, **options))


# Every client: connecting gives up after 2 s; an idle connection is checked (PING) before reuse.
_COMMON: dict = {"socket_connect_timeout": 2, "health_check_interval": 30}


def _answering(url: str, wait_seconds: float, client: redis.Redis) -> redis.Redis:
    """`client` once Redis answers PING; RedisUnavailable after `wait_seconds`."""

    @retry(
        stop=stop_after_delay(wait_seconds),
        wait=wait_exponential(multiplier=0.1, max=2),
        retry=retry_if_exception_type(_TRANSIENT) & retry_if_not_exception_type(_FINAL),
        before_sleep=before_sleep_log(log, logging.INFO),
    )
    def ping() -> None:
        client.ping()

    try:
        ping()
    except RetryError as exc:
        raise RedisUnavailable(
            f"Redis at {redacted(url)} did not answer within {wait_seconds:g}s: "
            f"{exc.last_attempt.exception()}"
        ) from None
    return client
