"""Network bytes in and out of a network namespace (a container): the kernel's interface counters.

`/proc/<pid>/net/dev` lists every interface of the namespace process `pid` lives in, with its bytes
received and sent since the interface came up. Read from inside a container (`/proc/self/net/dev`, as
a worker does on its heartbeat) or from the host with the pid of one of the container's processes (as
the load test's ledger does): one small file read, unlike Docker's stats API (a second or two a call).
Loopback is left out: bytes a container sends itself never cross its network.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROC = Path("/proc")
LOOPBACK = "lo"


@dataclass(frozen=True)
class NetBytes:
    """Bytes received (in) and sent (out) over a namespace's interfaces: cumulative, or a difference."""

    rx: int
    tx: int

    def since(self, earlier: "NetBytes") -> "NetBytes":
        """What moved between `earlier` and this reading."""
        return NetBytes(self.rx - earlier.rx, self.tx - earlier.tx)

    def __add__(self, other: "NetBytes") -> "NetBytes":
        return NetBytes(self.rx + other.rx, self.tx + other.tx)

    def as_dict(self) -> dict[str, int]:
        return {"rx_bytes": self.rx, "tx_bytes": self.tx}


ZERO = NetBytes(0, 0)


def redis_info_bytes(stats: Mapping[str, Any]) -> NetBytes:
    """Redis's own count of the bytes it received (rx) and sent (tx) over every client connection since it
    started, from INFO stats's fields (as redis-py parses them, or as text fields)."""
    return NetBytes(int(stats["total_net_input_bytes"]), int(stats["total_net_output_bytes"]))


def redis_bytes(redis: Any) -> NetBytes:
    """The same, asked of a redis-py connection: one INFO stats."""
    return redis_info_bytes(redis.info("stats"))


def parse_net_dev(text: str) -> NetBytes:
    """Received and sent bytes summed over the interfaces of a `net/dev` text, loopback left out."""
    rx = tx = 0
    for line in text.splitlines()[2:]:  # two header lines
        name, _, fields = line.partition(":")
        if not fields or name.strip() == LOOPBACK:
            continue
        values = fields.split()
        # Receive: bytes packets errs drop fifo frame compressed multicast; then Transmit: bytes ...
        rx += int(values[0])
        tx += int(values[8])
    return NetBytes(rx, tx)


def namespace_bytes(pid: int | str = "self", proc: Path = PROC) -> NetBytes | None:
    """The network bytes of the namespace process `pid` is in; None if it is gone or unreadable."""
    try:
        return parse_net_dev((proc / str(pid) / "net" / "dev").read_text())
    except OSError:
        return None
