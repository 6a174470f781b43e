"""Printing results: one panel per experiment as it finishes, then the summary table (rich)."""

import platform

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from worker.lab.result import Result


def header(console: Console, quick: bool, start_method: str) -> None:
    """Where the figures come from: they mean little without the interpreter and the machine."""
    console.rule("[bold]the multiprocessing lab")
    console.print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{'quick' if quick else 'full'} run, children started with {start_method!r} "
        "(start-methods compares all three). Timings drift between runs: compare figures of one run."
    )


# Labels and figures are plain text: escape() keeps "[x*x for x in ...]" from being read as rich markup.


def experiment(console: Console, result: Result, seconds: float) -> None:
    """One experiment: what it shows, its figures, its correctness facts, its notes."""
    console.print()
    console.rule(f"[bold]{result.name}[/] ({seconds:.1f} s)", align="left")
    console.print(f"[italic]{escape(result.shows)}[/]")
    for label, value in result.figures.items():
        console.print(f"  {escape(label)}: [bold]{escape(value)}[/]")
    for label, held in result.facts.items():
        console.print(f"  {'[green]✓' if held else '[red]✗'}[/] {escape(label)}")
    for note in result.notes:
        console.print(f"  [yellow]note:[/] {escape(note)}")


def summary(console: Console, results: list[Result]) -> None:
    """The one table: experiment, headline figure, facts held, and what it means for the design."""
    table = Table(title="multiprocessing lab: summary", show_lines=True)
    table.add_column("experiment", style="bold", no_wrap=True)
    table.add_column("measured")
    table.add_column("facts", justify="center", no_wrap=True)
    table.add_column("so the demo…")
    for r in results:
        held = sum(r.facts.values())
        mark = "[green]✓" if r.ok else "[red]✗"
        table.add_row(escape(r.name), escape(r.headline), f"{mark} {held}/{len(r.facts)}", escape(r.design))
    console.print()
    console.print(table)


def markdown(results: list[Result]) -> str:
    """The summary as a Markdown table, for pasting measured figures into the README."""
    lines = ["| experiment | measured | facts | so the demo… |", "|---|---|---|---|"]
    for r in results:
        cells = [r.name, r.headline, f"{sum(r.facts.values())}/{len(r.facts)}", r.design]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
