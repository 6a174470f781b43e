"""Redis connections that wait for Redis at start-up, with a bounded tenacity retry."""

import logging
from urllib.parse import urlsplit, urlunsplit

import redis
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


def connect(url: str, wait_seconds: float) -> redis.Redis:
    """A client for `url` once Redis answers PING; RedisUnavailable after `wait_seconds`."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30)

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
