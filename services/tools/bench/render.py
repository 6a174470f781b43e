"""The bench's tables, drawn from the JSON report's records (figures.py); readable at 160 columns.

Each row is one figure: its value, the spread of its rounds, what it stands beside in the same run, its
target. What a section ran (sizes, layouts) is printed below the table, not in the rows.
"""

from typing import Any

from rich.console import Console
from rich.table import Table

from services.tools.bench.figures import SECTIONS, Figure, Section, Target, Unit, targets


def value(v: float, unit: Unit) -> str:
    """A value in its unit: times in seconds shown as ms, µs or ns."""
    match unit:
        case "ms":
            return f"{v * 1e3:.2f} ms"
        case "µs":
            return f"{v * 1e6:,.0f} µs"
        case "ns":
            return f"{v * 1e9:,.0f} ns"
        case "x":
            return f"{v:.2f}x"
        case "%":
            return f"{v:.1%}"
        case "eff":
            return f"{v:.3f}"
        case "/s":
            return f"{v:,.0f}/s"
        case "n":
            return f"{v:,.0f}"


def mark(ok: bool) -> str:
    return "[green]✓[/]" if ok else "[red]✗[/]"


def target(t: Target | None, unit: Unit) -> str:
    return "" if t is None else f"{t.op} {value(t.bound, unit)} {mark(t.met)}"


def spread(f: Figure) -> str:
    lo_hi = f.spread
    return "" if lo_hi is None else f"{value(lo_hi[0], f.unit)} – {value(lo_hi[1], f.unit)}"


def table(title: str, sections: list[Section]) -> Table:
    t = Table(title=title)
    t.add_column("figure", max_width=52)
    t.add_column("value", justify="right", no_wrap=True)
    t.add_column("rounds", justify="right", no_wrap=True)
    t.add_column("beside it, same run", max_width=52)
    t.add_column("target", justify="right", no_wrap=True)
    for section in sections:
        t.add_row(f"[b]{section.title}[/b]")
        for f in section.figures:
            t.add_row(f"  {f.name}", value(f.value, f.unit), spread(f), f.beside, target(f.target, f.unit))
        t.rows[-1].end_section = True
    return t


def render(r: dict[str, Any], console: Console) -> None:
    """The figures table, the notes below it, the cost model, and every target met or not."""
    if "sections" not in r:
        console.print(
            "this bench report predates the figure records: run `make bench` again", highlight=False
        )
        return
    sections = SECTIONS.validate_python(r["sections"])
    rounds = r["sizes"]["rounds"]
    title = f"make bench ({r['run']}): every figure from this run; medians of {rounds} round(s)"
    console.print(table(title, sections))
    for section in sections:
        if section.note:
            console.print(f"[b]{section.title}[/b]: {section.note}", highlight=False)
    render_cost_model(r["cost_model"], console)
    checks = Table(title="targets", show_header=False)
    for title, f, t in targets(sections):
        checks.add_row(mark(t.met), f"{title}: {f.name}", target(t, f.unit))
    console.print(checks)


def render_cost_model(c: dict[str, Any], console: Console) -> None:
    """The cost model's coefficients (current and measured here), its error on whole ranges with each,
    and the lines for .env."""
    t = Table(title="0. the work estimate's cost model (shared/cost.py), calibrated on this machine")
    for column in ("", "current setting", "measured here"):
        t.add_column(column, justify="left" if not column else "right")
    for name, v in c["current"].items():
        t.add_row(name.upper(), f"{v:.3g}", f"{c['measured'][name]:.3g}")
    t.rows[-1].end_section = True
    for check in c["checks"]:
        t.add_row(
            f"{check['kernel']} [{check['lo']:,}, {check['hi']:,}): "
            f"took {check['measured_seconds'] * 1e3:.2f} ms",
            f"{check['estimate_current'] * 1e3:.2f} ms ({check['error_current']:+.1%})",
            f"{check['estimate_measured'] * 1e3:.2f} ms ({check['error_measured']:+.1%})",
        )
    console.print(t)
    console.print("settings lines for .env (measured here):", highlight=False)
    for line in c["env_lines"]:
        console.print(f"  {line}", highlight=False)
