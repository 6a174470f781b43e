"""Lua scripts whose keys and arguments have names, declared once beside the script.

A script lists its key names and argument names; the Lua it runs starts with lines that bind them
(`local K = {record = KEYS[1], ...}` and `local A = {index = ARGV[1], ...}`), so its body reads
`K.record` and `A.index`, never `ARGV[13]`. `rest` names a trailing list of any length, which the
script sees as the Lua table `A.<rest>`. `group` names a trailing list of keys that come in groups of
the same names (e.g. 3 keys per queue): the script sees `K.<group>` as a list of tables
(`K.queues[1].started`). Callers pass mappings, checked against the declared names: no caller counts
positions, and a missing or unexpected name fails before anything is sent.

A long script lives in a `.lua` file beside its module, read once at import (`lua_file`).
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from redis import Redis


def lua_file(module_file: str, name: str) -> str:
    """The text of `name` (a .lua file) beside the module whose `__file__` is given."""
    return Path(module_file).with_name(name).read_text()


class NamedScript:
    """A registered Lua script called with named keys and arguments (see the module docstring)."""

    def __init__(
        self,
        redis: Redis,
        body: str,
        keys: Sequence[str],
        args: Sequence[str],
        rest: str | None = None,
        prelude: str = "",
        group: tuple[str, Sequence[str]] | None = None,
    ) -> None:
        self.keys, self.args, self.rest = tuple(keys), tuple(args), rest
        self.group = (group[0], tuple(group[1])) if group is not None else None
        bind = [
            "local K = {" + ", ".join(f"{name} = KEYS[{i}]" for i, name in enumerate(self.keys, 1)) + "}",
            "local A = {" + ", ".join(f"{name} = ARGV[{i}]" for i, name in enumerate(self.args, 1)) + "}",
        ]
        if rest is not None:
            bind.append(f"A.{rest} = {{unpack(ARGV, {len(self.args) + 1})}}")
        if self.group is not None:
            name, members = self.group
            fields = ", ".join(f"{member} = KEYS[i + {j}]" for j, member in enumerate(members))
            bind += [
                f"K.{name} = {{}}",
                f"for i = {len(self.keys) + 1}, #KEYS, {len(members)} do "
                f"K.{name}[#K.{name} + 1] = {{{fields}}} end",
            ]
        self.source = "\n".join([*bind, prelude, body])
        self._script = redis.register_script(self.source)

    @property
    def sha(self) -> str:
        """The script's SHA1, as EVALSHA names it."""
        return self._script.sha

    def __call__(
        self,
        keys: Mapping[str, str],
        args: Mapping[str, Any],
        rest: Sequence[Any] = (),
        client: Any = None,
        groups: Sequence[Mapping[str, str]] = (),
    ) -> Any:
        """Run the script (on `client`, e.g. a pipeline, if given) with these keys and arguments by name;
        `groups`: the keys of each group, by name."""
        _check("keys", keys, self.keys)
        _check("arguments", args, self.args)
        if rest and self.rest is None:
            raise TypeError("this script takes no trailing list")
        if groups and self.group is None:
            raise TypeError("this script takes no groups of keys")
        members = self.group[1] if self.group is not None else ()
        for each in groups:
            _check("group keys", each, members)
        return self._script(
            keys=[*(keys[name] for name in self.keys), *(each[m] for each in groups for m in members)],
            args=[*(args[name] for name in self.args), *rest],
            client=client,
        )


def _check(what: str, given: Mapping[str, Any], declared: tuple[str, ...]) -> None:
    if set(given) != set(declared):
        missing, extra = set(declared) - set(given), set(given) - set(declared)
        raise TypeError(f"script {what}: missing {sorted(missing)}, unexpected {sorted(extra)}")
