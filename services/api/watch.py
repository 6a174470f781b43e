"""Waiting for jobs to end (GET /jobs/{id}?wait=): one Redis subscription per API process, no thread held.

The step that ends a job publishes its id on ENDED_CHANNEL (shared/job_store.py). `EndedJobs.run`, a task
of the API's lifespan, holds the process's one subscription to it and sets the event of that job's
watchers, however many: a watcher is an asyncio task awaiting an event, with no thread, no Redis
connection and no Redis command from its first read of the job to the job's end.

No end is missed: a watcher registers its event before it reads the job, so an end comes either before
the read (the read shows it) or after (the message sets the event). Pub/sub keeps nothing for a
subscriber that is away, so every (re)subscription, which Redis confirms on the subscription itself,
wakes every watcher to read its job again: an end published while the subscription was down is seen.
"""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from tenacity import (
    AsyncRetrying,
    RetryError,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
)

from shared.job_status import ACTIVE
from shared.job_store import ENDED_CHANNEL, JobRecord, read_async

log = logging.getLogger("uvicorn.error")

# The longest GET /jobs/{id}?wait= allowed, in seconds.
WAIT_MAX_SECONDS = 60

_TRANSIENT = (RedisConnectionError, RedisTimeoutError, OSError)


@dataclass
class _Watch:
    """The watchers of one job: one event for them all."""

    event: asyncio.Event = field(default_factory=asyncio.Event)
    watchers: int = 0


class EndedJobs:
    """The API process's subscription to job ends, and the waits it wakes.

    `reader` serves the reads of the jobs (a pool of API_REDIS_CONNECTIONS); `listener` holds the
    subscription, on a connection of its own that waits for messages with no timeout.
    """

    def __init__(self, reader: Redis, listener: Redis, reconnect_seconds: float) -> None:
        self.reader = reader
        self.listener = listener
        self.reconnect_seconds = reconnect_seconds
        self.subscribed = asyncio.Event()  # set once the first subscription is confirmed
        self._watches: dict[str, _Watch] = {}

    @property
    def watchers(self) -> int:
        """Watchers waiting right now."""
        return sum(w.watchers for w in self._watches.values())

    async def wait_ended(self, job_id: str, seconds: float) -> JobRecord | None:
        """The job's record, once it has ended or after `seconds`; None if unknown."""
        if seconds <= 0:
            return await read_async(self.reader, job_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        record = None
        while True:
            with self._watch(job_id) as ended:
                # A record that expired during the wait (TTL) leaves the record read before.
                record = await read_async(self.reader, job_id) or record
                left = deadline - loop.time()
                if record is None or record.status not in ACTIVE or left <= 0:
                    return record
                with suppress(TimeoutError):
                    async with asyncio.timeout(left):
                        await ended.wait()

    @contextmanager
    def _watch(self, job_id: str) -> Iterator[asyncio.Event]:
        """The event that the job's end (or a resubscription) sets, registered while inside."""
        watch = self._watches.setdefault(job_id, _Watch())
        watch.watchers += 1
        try:
            yield watch.event
        finally:
            watch.watchers -= 1
            if not watch.watchers and self._watches.get(job_id) is watch:
                del self._watches[job_id]

    def _wake(self, job_id: str | None = None) -> None:
        """Set the event of this job's watchers (of every watcher with None) and forget it."""
        woken = [self._watches.pop(job_id, None)] if job_id is not None else list(self._watches.values())
        if job_id is None:
            self._watches.clear()
        for watch in woken:
            if watch is not None:
                watch.event.set()

    async def run(self) -> None:
        """Hold the subscription for the process's life; resubscribe (tenacity) whenever Redis goes away."""
        while True:
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_delay(self.reconnect_seconds),
                    wait=wait_exponential(multiplier=0.1, max=2),
                    retry=retry_if_exception_type(_TRANSIENT),
                    before_sleep=before_sleep_log(log, logging.WARNING),
                ):
                    with attempt:
                        await self._listen()
            except RetryError as exc:
                log.error(
                    "job ends: no Redis subscription for %gs (%s); still trying",
                    self.reconnect_seconds,
                    exc.last_attempt.exception(),
                )

    async def _listen(self) -> None:
        """Subscribe, then dispatch messages until the connection fails.

        A failure before the subscription is confirmed is raised (`run` retries it); one after returns,
        so that each outage gets its own REDIS_WAIT_SECONDS of retries.
        """
        pubsub = self.listener.pubsub()
        confirmed = False
        try:
            await pubsub.subscribe(ENDED_CHANNEL)
            async for message in pubsub.listen():
                if message["type"] == "message":
                    self._wake(message["data"].decode())
                elif message["type"] == "subscribe":
                    # Ends published while we were not subscribed are lost: every watcher reads again.
                    confirmed = True
                    self._wake()
                    self.subscribed.set()
        except _TRANSIENT as exc:
            if not confirmed:
                raise
            log.warning("job ends: lost the Redis subscription (%s); subscribing again", exc)
        finally:
            with suppress(*_TRANSIENT):
                await pubsub.aclose()
