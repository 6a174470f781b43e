"""Named Lua keys and arguments: bound by name in the script, checked by name in the call."""

from pathlib import Path

import pytest
import redis

from shared.redis_script import LuaScript, NamedScript, lua_file
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


def test_groups_of_arguments_are_read_by_name_before_the_trailing_list(redis_client: redis.Redis) -> None:
    script = NamedScript(
        redis_client,
        "local out = {A.first, #A.shares, #A.more} "
        "for _, s in ipairs(A.shares) do out[#out + 1] = s.record .. '=' .. s.units end "
        "for _, m in ipairs(A.more) do out[#out + 1] = m end return out",
        keys=(),
        args=("first",),
        rest="more",
        arg_group=("shares", ("record", "units")),
    )
    shares = [{"units": 3, "record": "r1"}, {"record": "r2", "units": 4}]
    reply = script(keys={}, args={"first": "f"}, arg_groups=shares, rest=["m1", "m2"])
    assert reply == [b"f", 2, 2, b"r1=3", b"r2=4", b"m1", b"m2"]
    assert script(keys={}, args={"first": "f"}, rest=["m1"]) == [b"f", 0, 1, b"m1"]
    with pytest.raises(TypeError):
        script(keys={}, args={"first": "f"}, arg_groups=[{"record": "r1"}])


def test_a_trailing_list_of_any_length(redis_client: redis.Redis) -> None:
    # Past what Lua's unpack() returns at once (its C stack: about 8000 values).
    script = NamedScript(redis_client, "return {#A.more, A.more[20000]}", (), (), rest="more")
    assert script(keys={}, args={}, rest=range(1, 20001)) == [20000, b"20000"]


def test_constants_are_bound_by_name_on_the_files_first_line(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    (tmp_path / "probe.lua").write_text(
        "return {TEXT, NUMBER, tostring(SHARE), FLAGS.on and 1 or 0, FLAGS.off and 1 or 0, NAMES[2], "
        "TABLE.a.b}"
    )
    text = 'it\'s a \\ "quote"\nand ünïcode'
    source = lua_file(
        str(tmp_path / "probe.py"),
        "probe.lua",
        TEXT=text,
        NUMBER=7,
        SHARE=0.25,
        FLAGS={"on": True, "off": False},
        NAMES=("x", "y"),
        TABLE={"a": {"b": "c"}},
    )
    assert source.splitlines()[1] == (tmp_path / "probe.lua").read_text()
    script = NamedScript(redis_client, source, (), ())
    assert script(keys={}, args={}) == [text.encode(), 7, b"0.25", 1, 0, b"y", b"c"]


def test_a_script_sent_whole_runs_with_eval_and_no_script_check(redis_client: redis.Redis) -> None:
    script = LuaScript("return redis.call('INCRBY', K.counter, A.by)", ("counter",), ("by",))
    before = {name: command_calls(redis_client, name) for name in ("eval", "evalsha", "script|exists")}
    pipe = redis_client.pipeline(transaction=False)
    script.eval(pipe, keys={"counter": "lua-test:eval"}, args={"by": 2})
    script.eval(pipe, keys={"counter": "lua-test:eval"}, args={"by": 3})
    assert pipe.execute() == [2, 5]
    after = {name: command_calls(redis_client, name) for name in before}
    assert after == {**before, "eval": before["eval"] + 2}
    assert script.eval_args({"counter": "k"}, {"by": 1}) == [script.source, 1, "k", 1]
