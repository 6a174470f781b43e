"""Where each Redis command of a chunk job goes: MONITOR on the bench's own redis-server while one of our
workers runs distributed jobs, each command grouped under the round trip (a script call) that sent it.

Three chunks are shown: one in the middle of its job (what most chunks of a split job cost), the last
one, which also ends the job (shared.job_store's end_job), and the only chunk of a job of one chunk (the
bench's "ours" row: it ends its job at once, with no merged hash), the second of two in a row. Commands
that no chunk sends (the worker's heartbeat thread, its reaper, RQ's loop) are counted apart, per chunk
over the run.

A finish of one of our entries usually takes a next job in the same script (worker/queue/finish_take.lua):
then a chunk's take rides on the round trip of an earlier finish, and the breakdown shows that take's
commands under "take (with an earlier finish)", one round trip for the chunk in all. While chunks come one
after another, the worker holds one more taken ahead, and sends each finish before the chunk ahead runs
(worker.queue.sent): the finish of one chunk takes the chunk after the next.

The worker measured is the worker's own code (worker.queue.lean's LeanWorker), imported: a bench of it
cannot use a copy in shared/.
"""

from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

import redis
from rich.console import Console
from rich.table import Table
from rq import Queue
from rq.serializers import JSONSerializer

from services.api.enqueue import enqueue
from services.tools.bench import stack
from services.tools.bench.defaults import TINY_HI, TINY_LO
from services.tools.bench.timing import timed_run
from services.tools.redis_monitor import monitored
from services.tools.stack import host_settings
from shared.job_store import JobStore
from shared.jobs import parse_job
from worker.queue.lean import LeanWorker, OwnEntries

# Chunks of the measured split job: enough for a first, a middle one past the start's (a take of its own
# then) and a last one. Then two jobs of one chunk: the second is measured (the worker busy already, as in
# a stream of them).
CHUNKS = 7
ONE_CHUNK_JOBS = 2


@dataclass(frozen=True)
class RoundTrip:
    """One command a client sent, and the commands its script ran (none for a plain command)."""

    sent: str  # "take", "finish", "finish_take", "begin", "merge" (scripts), else the command's name
    ran: tuple[str, ...]
    # Whether it was a round trip of its own (no: a take that rode on the finish before it).
    own_trip: bool = True


@dataclass(frozen=True)
class ChunkCommands:
    """The Redis commands of one chunk job, by round trip."""

    chunk: str  # which chunk of its job: "middle", "last" or "only"
    round_trips: tuple[RoundTrip, ...]

    @property
    def total(self) -> int:
        return sum(trip.own_trip + len(trip.ran) for trip in self.round_trips)

    @property
    def trips(self) -> int:
        return sum(trip.own_trip for trip in self.round_trips)

    def by_command(self) -> Counter[str]:
        return Counter(
            [trip.sent.upper() for trip in self.round_trips if trip.own_trip]
            + [c for t in self.round_trips for c in t.ran]
        )


@dataclass(frozen=True)
class Breakdown:
    """The chunks measured, and what the worker sent besides them, per chunk over the run."""

    chunks: tuple[ChunkCommands, ...]
    background_per_chunk: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "chunks": [{**asdict(c), "total": c.total, "trips": c.trips} for c in self.chunks],
            "background_per_chunk": self.background_per_chunk,
        }


def run(connection: redis.Redis, url: str) -> Breakdown:
    """One distributed job of CHUNKS tiny chunks, then ONE_CHUNK_JOBS jobs of one, run by one of our workers
    (pool 1) under MONITOR."""
    name = "bench-commands"
    queue = Queue(name, connection=connection, serializer=JSONSerializer)
    store = JobStore(connection, host_settings().result_ttl)
    span = TINY_HI - TINY_LO
    body = {"kernel": "primes", "mode": "distributed", "chunk_size": span}
    spec = parse_job({**body, "params": {"start": TINY_LO, "stop": TINY_LO + CHUNKS * span}})
    one = parse_job({**body, "params": {"start": TINY_LO, "stop": TINY_HI}})
    job, *singles = enqueue(store, queue, [spec, *[one] * ONE_CHUNK_JOBS])
    entries = [entry for accepted in (job, *singles) for entry in accepted.entry_ids]
    # The scripts' SHA1s, as EVALSHA names them (computed here; nothing is sent).
    probe = LeanWorker([queue], connection=connection, own=OwnEntries("", 1, store))
    shas = {**probe.script_shas(), **store.script_shas()}
    names = {
        sha: "finish" if name == "finish_ours" else name for name, sha in shas.items() if name != "finish"
    }
    with monitored(url) as seen:
        timed_run(connection, queue, entries, lambda: stack.our_workers(url, name, 1, 1), 1)
    ended = {store.status(accepted.job_id) for accepted in (job, *singles)}
    if ended != {"finished"}:
        raise RuntimeError(f"the measured jobs ended {ended}, expected finished")
    trips = _round_trips(seen, names)
    pairs = _chunks(trips)
    if len(pairs) != len(entries):
        raise RuntimeError(f"{len(pairs)} take and finish pairs seen for {len(entries)} chunks")
    ours = sum(t.sent in ("take", "finish", "finish_take") and bool(t.ran) for t in trips)
    background = len(trips) - ours - _own_reads(trips)
    return Breakdown(
        (
            ChunkCommands("middle", pairs[CHUNKS // 2]),
            ChunkCommands("last", pairs[CHUNKS - 1]),
            ChunkCommands("only", pairs[-1]),
        ),
        background / len(entries),
    )


def _chunks(trips: list[RoundTrip]) -> list[tuple[RoundTrip, RoundTrip]]:
    """Each chunk's take and finish. A script call that ran nothing was refused with NOSCRIPT, then sent
    again (redis-py's first call of a script). A finish_take is the finish of one chunk, then the take of
    a next one: split where the take begins (its SET of the worker's last execution id, then its LPOP).
    Takes are answered in order, finishes too: the oldest take not yet finished is the next finish's."""
    pairs: list[tuple[RoundTrip, RoundTrip]] = []
    takes: deque[RoundTrip] = deque()
    for trip in trips:
        # A take that finds the queue empty stops at its LPOP.
        if trip.sent == "take" and len(trip.ran) > 2:
            takes.append(trip)
        elif trip.sent in ("finish", "finish_take") and trip.ran and takes:
            finish, ahead = trip.ran, ()
            if trip.sent == "finish_take":
                at = max(i for i in range(len(trip.ran) - 1) if trip.ran[i : i + 2] == ("SET", "LPOP"))
                finish, ahead = trip.ran[:at], trip.ran[at:]
            pairs.append((takes.popleft(), RoundTrip(trip.sent, finish)))
            if len(ahead) > 2:
                takes.append(RoundTrip("take (with an earlier finish)", ahead, own_trip=False))
    return pairs


def _round_trips(seen: list[dict], names: dict[str, str]) -> list[RoundTrip]:
    """MONITOR's lines as round trips: a script's commands follow its EVALSHA (Redis runs it atomically)."""
    trips: list[tuple[str, list[str]]] = []
    for command in seen:
        words = command["command"].split()
        if command["client_address"] == "lua":
            trips[-1][1].append(words[0].upper())
        elif words[0].upper() == "EVALSHA":
            trips.append((names.get(words[1], "script"), []))
        else:
            trips.append((words[0].upper(), []))
    return [RoundTrip(sent, tuple(ran)) for sent, ran in trips]


def _own_reads(trips: list[RoundTrip]) -> int:
    """The bench's own commands in the window (the RENAME method's polls and counts)."""
    return sum(1 for t in trips if t.sent in ("ZCARD", "INFO", "RENAME", "ECHO"))


def render(b: Breakdown, console: Console) -> None:
    """A table per chunk: each round trip and the commands it ran."""
    for chunk in b.chunks:
        table = Table(
            title=f"Redis commands of one chunk job ({chunk.chunk} chunk of its job): {chunk.total} in "
            f"{chunk.trips} round trip{'s' if chunk.trips > 1 else ''}"
        )
        table.add_column("round trip")
        table.add_column("commands its script ran")
        table.add_column("count", justify="right")
        for trip in chunk.round_trips:
            counts = Counter(trip.ran)
            table.add_row(
                trip.sent,
                ", ".join(f"{c} x{n}" if n > 1 else c for c, n in counts.items()),
                str(trip.own_trip + len(trip.ran)),
            )
        console.print(table)
    console.print(
        f"besides: {b.background_per_chunk:.1f} commands per chunk from the worker's other chores "
        "(start-up, heartbeats, RQ's loop)"
    )
