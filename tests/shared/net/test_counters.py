"""Network bytes from a namespace's net/dev: parsed exactly, and read from this host's real /proc."""

import os

import psutil

from shared.net.counters import LOOPBACK, NetBytes, namespace_bytes, parse_net_dev

# As the kernel writes it (its column padding shortened): long counters run into the interface's name.
NET_DEV = """\
Inter-| Receive | Transmit
 face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier
   lo: 4461951711 7686861 0 0 0 0 0 0 4461951711 7686861 0 0 0 0 0 0
  eth0: 1626944174 63618 0 0 0 0 0 0 4795624 45482 0 0 0 0 0 0
br-9c569c7acaf6:225996 246 0 0 0 0 0 0 56281 293 0 2 0 0 0 0
"""


def test_every_interface_but_loopback_is_summed() -> None:
    assert parse_net_dev(NET_DEV) == NetBytes(rx=1626944174 + 225996, tx=4795624 + 56281)


def test_differences_and_sums() -> None:
    later, earlier = NetBytes(1000, 300), NetBytes(400, 100)
    assert later.since(earlier) == NetBytes(600, 200)
    assert later + earlier == NetBytes(1400, 400)
    assert later.since(earlier).as_dict() == {"rx_bytes": 600, "tx_bytes": 200}


def test_this_namespace_read_by_pid_agrees_with_psutil() -> None:
    """Counters only grow: psutil's own reading, taken between two of ours, lies between them."""
    before = namespace_bytes(os.getpid())
    theirs = [c for name, c in psutil.net_io_counters(pernic=True).items() if name != LOOPBACK]
    after = namespace_bytes("self")
    assert before is not None and after is not None
    assert before.rx <= sum(c.bytes_recv for c in theirs) <= after.rx
    assert before.tx <= sum(c.bytes_sent for c in theirs) <= after.tx


def test_a_process_that_is_gone_has_no_reading() -> None:
    assert namespace_bytes(2**22 + 1) is None  # above pid_max's ceiling: never a process
