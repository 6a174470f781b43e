"""Lua scripts whose keys and arguments have names, declared once beside the script.

A script lists its key names and argument names; the Lua it runs starts with lines that bind them
(`local K = {record = KEYS[1], ...}` and `local A = {index = ARGV[1], ...}`), so its body reads
`K.record` and `A.index`, never `ARGV[13]`. `rest` names a trailing list of any length, which the
script sees as the Lua table `A.<rest>`. Callers pass mappings, checked against the declared names:
no caller counts positions, and a missing or unexpected name fails before anything is sent.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from redis import Redis


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
    ) -> None:
        self.keys, self.args, self.rest = tuple(keys), tuple(args), rest
        bind = [
            "local K = {" + ", ".join(f"{name} = KEYS[{i}]" for i, name in enumerate(self.keys, 1)) + "}",
            "local A = {" + ", ".join(f"{name} = ARGV[{i}]" for i, name in enumerate(self.args, 1)) + "}",
        ]
        if rest is not None:
            bind.append(f"A.{rest} = {{unpack(ARGV, {len(self.args) + 1})}}")
        self.source = "\n".join([*bind, prelude, body])
        self._script = redis.register_script(self.source)

    def __call__(
        self,
        keys: Mapping[str, str],
        args: Mapping[str, Any],
        rest: Sequence[Any] = (),
        client: Any = None,
    ) -> Any:
        """Run the script (on `client`, e.g. a pipeline, if given) with these keys and arguments by name."""
        _check("keys", keys, self.keys)
        _check("arguments", args, self.args)
        if rest and self.rest is None:
            raise TypeError("this script takes no trailing list")
        return self._script(
            keys=[keys[name] for name in self.keys],
            args=[*(args[name] for name in self.args), *rest],
            client=client,
        )


def _check(what: str, given: Mapping[str, Any], declared: tuple[str, ...]) -> None:
    if set(given) != set(declared):
        missing, extra = set(declared) - set(given), set(given) - set(declared)
        raise TypeError(f"script {what}: missing {sorted(missing)}, unexpected {sorted(extra)}")
