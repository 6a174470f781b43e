"""Waiting for something to become ready, with a deadline: the one poll loop of the host tools (tenacity)."""

from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_delay,
    wait_fixed,
)

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05) -> T:
    """Call `probe` until it returns something other than None (exceptions count as not yet)."""
    retrying = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(interval),
        # Any failure means "not ready yet".
        retry=retry_if_exception_type(Exception) | retry_if_result(lambda value: value is None),
    )
    try:
        return retrying(probe)
    except RetryError as exc:
        last = exc.last_attempt.exception()
        raise TimeoutError(f"{what} not ready after {timeout:g}s (last error: {last!r})") from None


def settled(probe: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Call `probe` until it returns true or `timeout` has passed; whether it did. For waits that go on
    either way (a drain, a point to inject a fault at): the caller reports which."""
    try:
        wait_for(lambda: probe() or None, timeout, "a settled state", interval)
    except TimeoutError:
        return False
    return True
