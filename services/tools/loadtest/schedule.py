"""`make chaos SCHEDULE=random`: which fault, on what, when and for how long; pure, from a seed.

Faults come at random intervals (exponential gaps: a Poisson process) and overlap: a fault is held for a
while before it is healed, and the next one may start meanwhile. Kinds are dealt from shuffled decks of
every kind, so each fires about as often as the others. Two faults never act on the same thing at once
(a worker, Redis, the API, the host's CPU): a fault whose target is busy starts just after it is healed.
The same seed gives the same schedule.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass

# Each kind: what it acts on ("worker" picks one of the workers) and how long it is held, in seconds
# (a range the seed picks from; "pause" ranges are in multiples of the heartbeat timeout).
KINDS: dict[str, tuple[str, tuple[float, float]]] = {
    "kill-worker": ("worker", (1, 5)),  # SIGKILL, then started again
    "kill-pool-process": ("worker", (0, 0)),  # SIGKILL one pool process: the worker heals it alone
    "kill-redis": ("redis", (1, 5)),  # SIGKILL, then started again
    "stop-redis": ("redis", (1, 5)),  # stopped cleanly (SIGTERM), then started again
    "pause-worker": ("worker", (1.5, 3)),  # docker pause past the heartbeat timeout, then unpause
    "cut-worker": ("worker", (3, 20)),  # off the network, then reconnected
    "cut-api": ("api", (3, 20)),
    "starve-cpu": ("cpu", (5, 20)),  # a hog container on the workers' cores
    "fill-redis": ("redis", (3, 10)),  # Redis filled to its maxmemory, then emptied of the filler
}


@dataclass(frozen=True)
class Planned:
    at: float  # seconds after the schedule starts
    kind: str
    target: int  # which worker (kinds on a worker); 0 otherwise
    hold: float  # seconds the fault stays before it is healed

    @property
    def resource(self) -> str:
        on = KINDS[self.kind][0]
        return f"worker{self.target}" if on == "worker" else on


def random_schedule(
    seed: int,
    duration: float,
    workers: int,
    mean_gap: float = 8.0,
    heartbeat_timeout: float = 5.0,
    kinds: Sequence[str] = (),
) -> list[Planned]:
    """Faults starting within `duration` seconds, by start time; the same arguments, the same list. Only
    `kinds` (names of KINDS) if given, else every kind."""
    rng = random.Random(seed)
    busy_until: dict[str, float] = {}
    deck: list[str] = []
    planned: list[Planned] = []
    at = 0.0
    while True:
        at += rng.expovariate(1 / mean_gap)
        if at >= duration:
            break
        if not deck:
            deck = sorted(kinds or KINDS)
            rng.shuffle(deck)
        kind = deck.pop()
        on, (low, high) = KINDS[kind]
        hold = rng.uniform(low, high) * (heartbeat_timeout if kind == "pause-worker" else 1)
        fault = Planned(round(at, 3), kind, rng.randrange(workers) if on == "worker" else 0, round(hold, 3))
        start = max(fault.at, busy_until.get(fault.resource, 0.0) + 1)
        if start >= duration:
            continue
        fault = Planned(round(start, 3), fault.kind, fault.target, fault.hold)
        busy_until[fault.resource] = fault.at + fault.hold
        planned.append(fault)
    return sorted(planned, key=lambda f: f.at)


def overlapping(schedule: list[Planned]) -> int:
    """Faults that start while another is still held."""
    return sum(any(o.at <= f.at < o.at + o.hold for o in schedule if o is not f) for f in schedule)
