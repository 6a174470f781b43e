"""Lua scripts whose keys and arguments have names, declared once beside the script.

Every script lives in a `.lua` file beside its module, read once (`lua_file`); no Lua is written as a
Python string. The Python constants a script needs (key names, prefixes, statuses) are bound as Lua
locals of the same names on the file's first line (`lua_file(__file__, "x.lua", PREFIX=PREFIX)`), so
the file's text is all the logic there is.

A script lists its key names and argument names; the Lua it runs starts with lines that bind them
(`local K = {record = KEYS[1], ...}` and `local A = {index = ARGV[1], ...}`), so its body reads
`K.record` and `A.index`, never `ARGV[13]`. Lists of any length have names too:
- `rest` names a trailing list of arguments, which the script sees as the Lua table `A.<rest>`;
- `group` names a trailing list of keys that come in groups of the same names (e.g. 3 keys per queue):
  the script sees `K.<group>` as a list of tables (`K.queues[1].started`);
- `arg_group` names a list of arguments that come in groups of the same names (e.g. a record key and its
  two counts per job), sent after the named arguments with their count first: the script sees
  `A.<arg_group>` as a list of tables (`A.shares[1].units`).
Callers pass mappings, checked against the declared names: no caller counts positions, and a missing or
unexpected name fails before anything is sent.

`LuaScript` is a script's source and layout, on no client: sent whole with EVAL (`eval`, e.g. in a
pipeline, where redis-py checks a registered script with an extra SCRIPT EXISTS on every execute), or
by whatever runs it elsewhere (`eval_args`: redis-cli in a container). `NamedScript` is one registered
on a client and sent by its SHA (EVALSHA).
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from redis import Redis


def lua_file(module_file: str, name: str, **constants: Any) -> str:
    """The text of `name` (a .lua file) beside the module whose `__file__` is given, after one line that
    binds `constants` (see `lua_literal`) as Lua locals of the same names."""
    text = Path(module_file).with_name(name).read_text()
    if not constants:
        return text
    names, values = ", ".join(constants), ", ".join(lua_literal(v) for v in constants.values())
    return f"local {names} = {values}\n{text}"


def lua_literal(value: Any) -> str:
    """A Python value as a Lua literal: str, int, float, bool; a mapping or a sequence as a table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # Printable ASCII as is, every other byte (quotes, backslashes, UTF-8) as a decimal escape.
        escaped = (chr(b) if 32 <= b < 127 and b not in b"\\'" else f"\\{b:03d}" for b in value.encode())
        return "'" + "".join(escaped) + "'"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"[{lua_literal(k)}] = {lua_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "{" + ", ".join(lua_literal(v) for v in value) + "}"
    raise TypeError(f"no Lua literal for {type(value).__name__}")


class LuaScript:
    """A Lua script with named keys and arguments (see the module docstring), on no client."""

    def __init__(
        self,
        body: str,
        keys: Sequence[str],
        args: Sequence[str],
        rest: str | None = None,
        prelude: str = "",
        group: tuple[str, Sequence[str]] | None = None,
        arg_group: tuple[str, Sequence[str]] | None = None,
    ) -> None:
        self.keys, self.args, self.rest = tuple(keys), tuple(args), rest
        self.group = (group[0], tuple(group[1])) if group is not None else None
        self.arg_group = (arg_group[0], tuple(arg_group[1])) if arg_group is not None else None
        bind = [
            "local K = {" + ", ".join(f"{name} = KEYS[{i}]" for i, name in enumerate(self.keys, 1)) + "}",
            "local A = {" + ", ".join(f"{name} = ARGV[{i}]" for i, name in enumerate(self.args, 1)) + "}",
        ]
        if self.group is not None:
            name, members = self.group
            fields = ", ".join(f"{member} = KEYS[i + {j}]" for j, member in enumerate(members))
            bind += [
                f"K.{name} = {{}}",
                f"for i = {len(self.keys) + 1}, #KEYS, {len(members)} do "
                f"K.{name}[#K.{name} + 1] = {{{fields}}} end",
            ]
        # Where the trailing list starts: a Lua expression (after the argument groups, if any).
        after = str(len(self.args) + 1)
        if self.arg_group is not None:
            name, members = self.arg_group
            count, first = len(self.args) + 1, len(self.args) + 2
            fields = ", ".join(f"{member} = ARGV[at + {j}]" for j, member in enumerate(members))
            bind += [
                f"A.{name} = {{}}",
                f"for at = {first}, {first - 1} + tonumber(ARGV[{count}]) * {len(members)}, {len(members)} "
                f"do A.{name}[#A.{name} + 1] = {{{fields}}} end",
            ]
            after = f"{first} + tonumber(ARGV[{count}]) * {len(members)}"
        if rest is not None:
            # A loop, not unpack(): a list of any length (unpack stops at Lua's C stack, ~8000 values).
            bind.append(f"A.{rest} = {{}} for i = {after}, #ARGV do A.{rest}[#A.{rest} + 1] = ARGV[i] end")
        self.source = "\n".join([*bind, prelude, body])

    def positions(
        self,
        keys: Mapping[str, str],
        args: Mapping[str, Any],
        rest: Sequence[Any] = (),
        groups: Sequence[Mapping[str, str]] = (),
        arg_groups: Sequence[Mapping[str, Any]] = (),
    ) -> tuple[list[str], list[Any]]:
        """KEYS and ARGV, in the order the script binds them, from these keys and arguments by name;
        `groups`, `arg_groups`: the keys and the arguments of each group, by name."""
        _check("keys", keys, self.keys)
        _check("arguments", args, self.args)
        if rest and self.rest is None:
            raise TypeError("this script takes no trailing list")
        if groups and self.group is None:
            raise TypeError("this script takes no groups of keys")
        if arg_groups and self.arg_group is None:
            raise TypeError("this script takes no groups of arguments")
        key_members = self.group[1] if self.group is not None else ()
        for each in groups:
            _check("group keys", each, key_members)
        arg_members = self.arg_group[1] if self.arg_group is not None else ()
        for each in arg_groups:
            _check("group arguments", each, arg_members)
        grouped = [len(arg_groups), *(each[m] for each in arg_groups for m in arg_members)]
        return (
            [*(keys[name] for name in self.keys), *(each[m] for each in groups for m in key_members)],
            [*(args[name] for name in self.args), *(grouped if self.arg_group is not None else ()), *rest],
        )

    def eval_args(self, keys: Mapping[str, str], args: Mapping[str, Any], **lists: Any) -> list[Any]:
        """What follows EVAL (the source, the number of keys, the keys, the arguments) for these keys and
        arguments by name (`lists`: rest, groups, arg_groups, as `positions` takes them)."""
        key_list, arg_list = self.positions(keys, args, **lists)
        return [self.source, len(key_list), *key_list, *arg_list]

    def eval(self, client: Any, keys: Mapping[str, str], args: Mapping[str, Any], **lists: Any) -> Any:
        """Send the whole script with EVAL on `client` (a pipeline too), with these keys and arguments by
        name (`lists`: as `eval_args` takes them)."""
        return client.eval(*self.eval_args(keys, args, **lists))


class NamedScript(LuaScript):
    """A LuaScript registered on a client, sent by its SHA (see the module docstring)."""

    def __init__(self, redis: Redis, body: str, *layout: Any, **named_layout: Any) -> None:
        super().__init__(body, *layout, **named_layout)
        self._script = redis.register_script(self.source)

    @property
    def sha(self) -> str:
        """The script's SHA1, as EVALSHA names it."""
        return self._script.sha

    def evalsha_args(self, keys: Mapping[str, str], args: Mapping[str, Any], **lists: Any) -> list[Any]:
        """The command that runs it by its SHA, as a connection sends it (EVALSHA, the SHA, the number of
        keys, the keys, the arguments), for these keys and arguments by name (`lists`: as `positions`)."""
        key_list, arg_list = self.positions(keys, args, **lists)
        return ["EVALSHA", self.sha, len(key_list), *key_list, *arg_list]

    def __call__(
        self,
        keys: Mapping[str, str],
        args: Mapping[str, Any],
        rest: Sequence[Any] = (),
        client: Any = None,
        groups: Sequence[Mapping[str, str]] = (),
        arg_groups: Sequence[Mapping[str, Any]] = (),
    ) -> Any:
        """Run the script (on `client`, e.g. a pipeline, if given) with these keys and arguments by name;
        `groups`, `arg_groups`: the keys and the arguments of each group, by name."""
        key_list, arg_list = self.positions(keys, args, rest, groups, arg_groups)
        return self._script(keys=key_list, args=arg_list, client=client)


def _check(what: str, given: Mapping[str, Any], declared: tuple[str, ...]) -> None:
    if set(given) != set(declared):
        missing, extra = set(declared) - set(given), set(given) - set(declared)
        raise TypeError(f"script {what}: missing {sorted(missing)}, unexpected {sorted(extra)}")
