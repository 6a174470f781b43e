"""The parts of a generated text, one per kind of report, each after its own marker line
(`<!-- results:sweep -->`), so that `make results` rewrites the parts whose reports it has and keeps, as
their last run wrote them, the parts whose reports it has not (a sweep run alone updates the sweep's).
"""

import re

_MARKER = re.compile(r"^<!-- results:([a-z-]+) -->$", re.MULTILINE)


def marker(kind: str) -> str:
    """The line that opens `kind`'s part."""
    return f"<!-- results:{kind} -->"


def split(text: str) -> dict[str, str]:
    """The parts in `text` by kind: each from the line after its marker up to the next marker (or the
    end), without the blank lines around it. Text before the first marker belongs to no part."""
    found = list(_MARKER.finditer(text))
    ends = [m.start() for m in found[1:]] + [len(text)] * bool(found)
    return {m.group(1): text[m.end() : end].strip("\n") for m, end in zip(found, ends, strict=True)}


def join(kinds: tuple[str, ...], made: dict[str, str], kept: dict[str, str]) -> list[str]:
    """The parts in the order of `kinds`, each after its marker: the one made now, else the one kept;
    a kind with neither is left out."""
    lines = []
    for kind in kinds:
        body = made.get(kind) or kept.get(kind)
        if body:
            lines += [marker(kind), body, ""]
    return lines
