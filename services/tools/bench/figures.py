"""The bench's data: one typed record per figure, grouped in sections; what the JSON report keeps.

Rendering reads these records only (services/tools/bench/render.py), so a figure is computed once,
here or in report.py, and never re-derived from a display sentence.
"""

import statistics
from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

# How a figure's value reads. Times are in seconds and shown in the unit named; "x" is a ratio,
# "%" a share (a fraction), "eff" a parallel efficiency T1/(2T), "/s" a rate, "n" a count.
Unit = Literal["ms", "µs", "ns", "x", "%", "eff", "/s", "n"]


class Target(BaseModel):
    """A bound the figure must meet, and whether it did in this run."""

    model_config = ConfigDict(frozen=True)

    op: Literal["<=", ">=", "<"]
    bound: float
    met: bool


def ms(seconds: float) -> str:
    """Seconds as milliseconds, for the text a figure stands beside."""
    return f"{seconds * 1e3:.2f} ms"


def at_most(value: float, bound: float) -> Target:
    return Target(op="<=", bound=bound, met=value <= bound)


def at_least(value: float, bound: float) -> Target:
    return Target(op=">=", bound=bound, met=value >= bound)


def below(value: float, bound: float) -> Target:
    return Target(op="<", bound=bound, met=value < bound)


class Figure(BaseModel):
    """One measured figure: its value (the median over rounds where there are rounds)."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: float
    unit: Unit
    target: Target | None = None
    # What it stands beside, measured in the same run: the ceiling, a peer, and the ratio to it.
    beside: str = ""
    rounds: tuple[float, ...] = ()

    @property
    def spread(self) -> tuple[float, float] | None:
        """The lowest and highest round, when there were two rounds or more."""
        return (min(self.rounds), max(self.rounds)) if len(self.rounds) > 1 else None


def median_figure(name: str, rounds: list[float], unit: Unit, **fields: object) -> Figure:
    """A figure whose value is the median of its rounds."""
    return Figure(name=name, value=statistics.median(rounds), unit=unit, rounds=tuple(rounds), **fields)


class Section(BaseModel):
    """A numbered part of the table; `note` (what was run, how much) is printed below the table."""

    model_config = ConfigDict(frozen=True)

    title: str
    note: str = ""
    figures: tuple[Figure, ...]


SECTIONS = TypeAdapter(list[Section])


def targets(sections: list[Section]) -> list[tuple[str, Figure, Target]]:
    """Every figure that has a target, with its section's title."""
    return [(s.title, f, f.target) for s in sections for f in s.figures if f.target is not None]
