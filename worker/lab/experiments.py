"""The lab's experiments, in the order a full run prints them (names are what `--only` takes)."""

from collections.abc import Callable

from worker.lab import (
    channels,
    condition,
    cpus,
    data_transfer,
    event,
    free_threading,
    interpreters,
    manager,
    pool_api,
    process,
    semaphore,
    sentinel,
    shared_value,
    start_methods,
)
from worker.lab.defaults import Sizes
from worker.lab.result import Result

# cpus first: its answer (the pool size) frames every figure after it.
EXPERIMENTS: dict[str, Callable[[Sizes], Result]] = {
    "cpus": cpus.run,
    "process": process.run,
    "start-methods": start_methods.run,
    "pool": pool_api.run,
    "value": shared_value.run,
    "manager": manager.run,
    "channels": channels.run,
    "sentinel": sentinel.run,
    "semaphore": semaphore.run,
    "event": event.run,
    "condition": condition.run,
    "data": data_transfer.run,
    "interpreters": interpreters.run,
    "free-threading": free_threading.run,
}
