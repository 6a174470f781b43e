"""Named Lua keys and arguments: bound by name in the script, checked by name in the call."""

import pytest
import redis

from shared.redis_script import NamedScript
from tests.helpers import command_calls

pytestmark = pytest.mark.integration


def test_the_script_reads_its_keys_and_arguments_by_name(redis_client: redis.Redis) -> None:
    script = NamedScript(
        redis_client,
        "return {K.second, K.first, A.b, A.a, #A.more, A.more[2]}",
        keys=("first", "second"),
        args=("a", "b"),
        rest="more",
    )
    reply = script(keys={"second": "k2", "first": "k1"}, args={"b": 2, "a": "one"}, rest=["x", "y", "z"])
    assert reply == [b"k2", b"k1", b"2", b"one", 3, b"y"]
    assert script(keys={"first": "k1", "second": "k2"}, args={"a": 1, "b": 2})[4] == 0


@pytest.mark.parametrize(
    ("keys", "args"),
    [({"first": "k"}, {"a": 1}), ({}, {"a": 1, "b": 2}), ({"first": "k"}, {"a": 1, "b": 2, "c": 3})],
)
def test_a_missing_or_unexpected_name_fails_before_anything_is_sent(
    redis_client: redis.Redis, keys: dict, args: dict
) -> None:
    script = NamedScript(redis_client, "return redis.call('INCR', K.first)", ("first",), ("a", "b"))
    sent = command_calls(redis_client, "evalsha")
    with pytest.raises(TypeError):
        script(keys=keys, args=args)
    assert command_calls(redis_client, "evalsha") == sent


def test_a_trailing_list_needs_a_name(redis_client: redis.Redis) -> None:
    script = NamedScript(redis_client, "return 1", (), ())
    with pytest.raises(TypeError):
        script(keys={}, args={}, rest=[1])


def test_groups_of_keys_are_read_by_name(redis_client: redis.Redis) -> None:
    script = NamedScript(
        redis_client,
        "local out = {K.first, #K.queues} "
        "for _, q in ipairs(K.queues) do out[#out + 1] = q.started .. '/' .. q.queue end return out",
        keys=("first",),
        args=(),
        group=("queues", ("queue", "started")),
    )
    groups = [{"started": "s1", "queue": "q1"}, {"queue": "q2", "started": "s2"}]
    assert script(keys={"first": "k"}, args={}, groups=groups) == [b"k", 2, b"s1/q1", b"s2/q2"]
    assert script(keys={"first": "k"}, args={}) == [b"k", 0]
    with pytest.raises(TypeError):
        script(keys={"first": "k"}, args={}, groups=[{"queue": "q1"}])
