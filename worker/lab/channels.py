"""Queue vs Pipe: messages per second and MB per second, for small and for large messages.

A Pipe is one connection: `send()` pickles and writes in the caller. A Queue is a Pipe plus a lock
(any number of producers and consumers) plus a feeder thread in each producer that pickles and
writes in the background, so `put()` returns before the data has left the process.
"""

import time
from dataclasses import dataclass
from typing import Any

from worker.lab.defaults import JOIN_TIMEOUT, Sizes
from worker.lab.procs import context, join_all
from worker.lab.result import Result, fmt_rate, fmt_time

SMALL = 64  # bytes: a job id or a small result
LARGE = 1 << 20  # bytes: a chunk of data


def payload(seq: int, size: int) -> bytes:
    """A message of `size` bytes that carries its sequence number, so order and loss are checkable."""
    return seq.to_bytes(8, "little") + b"x" * (size - 8)


def _queue_producer(q: Any, go: Any, n: int, size: int) -> None:
    """Wait for the start signal, then put n messages."""
    go.wait()
    # Each message is built as it is sent (one extra copy, < 10% of a 1 MiB transfer): a Queue pickles
    # in its feeder thread after put() returns, so a reused, mutated buffer would corrupt messages.
    for i in range(n):
        q.put(payload(i, size))


def _pipe_producer(conn: Any, go: Any, n: int, size: int) -> None:
    """Wait for the start signal, then send n messages down the pipe."""
    go.wait()
    for i in range(n):
        conn.send(payload(i, size))
    conn.close()


@dataclass
class Transfer:
    """One channel and message size: how many arrived intact and in order, and how fast."""

    channel: str
    size: int
    sent: int
    in_order: int  # messages received with the expected sequence number and length
    seconds: float
    clean: bool

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds

    @property
    def bytes_per_second(self) -> float:
        return self.sent * self.size / self.seconds


def transfer(channel: str, n: int, size: int) -> Transfer:
    """Send n messages of `size` bytes from a child to this process through a Queue or a Pipe."""
    ctx = context()
    go = ctx.Event()
    if channel == "Queue":
        q = ctx.Queue()
        proc = ctx.Process(target=_queue_producer, args=(q, go, n, size))
        receive = q.get
    elif channel == "Pipe":
        reader, writer = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_pipe_producer, args=(writer, go, n, size))
        receive = reader.recv
    else:
        raise ValueError(f"unknown channel {channel!r}")
    proc.start()
    if channel == "Pipe":
        writer.close()  # the child holds the write end now; ours would keep the pipe from reporting EOF
    in_order = 0
    # The timer starts at the signal: the child's start-up is not part of the channel's cost.
    t0 = time.perf_counter()
    go.set()
    for i in range(n):
        message = receive()
        in_order += int.from_bytes(message[:8], "little") == i and len(message) == size
    seconds = time.perf_counter() - t0
    clean = join_all([proc], JOIN_TIMEOUT)
    if channel == "Queue":
        q.close()
        q.join_thread()
    else:
        reader.close()
    return Transfer(channel, size, n, in_order, seconds, clean)


def run(sizes: Sizes) -> Result:
    """Measure both channels at both sizes."""
    runs = [
        transfer(channel, n, size)
        for size, n in ((SMALL, sizes.small_messages), (LARGE, sizes.large_messages))
        for channel in ("Queue", "Pipe")
    ]
    label = {SMALL: f"{SMALL} B", LARGE: "1 MiB"}
    figures = {
        f"{t.channel}, {label[t.size]} × {t.sent:,}": f"{fmt_rate(t.per_second, 'msg')}, "
        f"{fmt_rate(t.bytes_per_second, 'B')} ({fmt_time(t.seconds / t.sent)} per message)"
        for t in runs
    }
    small = {t.channel: t for t in runs if t.size == SMALL}
    large = {t.channel: t for t in runs if t.size == LARGE}
    return Result(
        name="channels",
        shows="Queue vs Pipe throughput for small and large messages",
        headline=f"64 B: Queue {fmt_rate(small['Queue'].per_second, 'msg')}, Pipe "
        f"{fmt_rate(small['Pipe'].per_second, 'msg')}; "
        f"1 MiB: Queue {fmt_rate(large['Queue'].bytes_per_second, 'B')}, "
        f"Pipe {fmt_rate(large['Pipe'].bytes_per_second, 'B')}",
        design="send ranges and small partial results, not data: a message costs µs, a MiB costs ms",
        figures=figures,
        facts={
            f"{t.channel} {label[t.size]}: all {t.sent:,} arrived intact, in order": t.in_order == t.sent
            and t.clean
            for t in runs
        },
    )
