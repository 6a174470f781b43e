"""Queue and Pipe deliver every message intact and in order from one producer."""

import pytest

from worker.lab import channels


@pytest.mark.parametrize("channel", ["Queue", "Pipe"])
@pytest.mark.parametrize(("n", "size"), [(500, channels.SMALL), (5, channels.LARGE)])
def test_every_message_arrives_intact_and_in_order(channel: str, n: int, size: int) -> None:
    t = channels.transfer(channel, n, size)
    assert t.clean
    assert t.in_order == t.sent == n


def test_payload_carries_its_sequence_number() -> None:
    message = channels.payload(1234, 64)
    assert len(message) == 64
    assert int.from_bytes(message[:8], "little") == 1234
