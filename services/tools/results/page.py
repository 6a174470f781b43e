"""docs/RESULTS.md: the newest report of each kind (make sweep, its data axis, make compare and make
compare TASK=, make load-test, make idle, make bench) rendered with the very tables those commands print,
their charts copied or drawn into docs/, and the README's block rewritten (readme.py).
"""

import io
import json
import os
import platform
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from rich.console import Console

from services.tools.bench import render as bench_render
from services.tools.bench import report_durability
from services.tools.loadtest import __main__ as loadtest
from services.tools.loadtest import chart
from services.tools.loadtest.compare import rows
from services.tools.loadtest.compare.render import render as render_comparison
from services.tools.monitor import idle
from services.tools.results import parts
from services.tools.results.readme import BEGIN, END, kept_parts, readme_block, readme_parts
from services.tools.results.summary import compare_summary
from services.tools.sweep import chart as sweep_chart
from services.tools.sweep import render as sweep_render
from services.tools.sweep import rows as sweep_rows

WIDTH = 160
T = TypeVar("T")


def newest(reports: Path, pattern: str) -> Path | None:
    """The newest report matching `pattern` (names carry their time, so the last in order)."""
    found = sorted(reports.glob(pattern))
    return found[-1] if found else None


def newest_comparison(reports: Path, small: bool) -> tuple[Path | None, dict | None]:
    """The newest make compare report at the planner's own tasks, or (`small`) at TASK='s: its file and
    JSON (reports from before TASK= are the former)."""
    for found in sorted(reports.glob("comparison-*.json"), reverse=True):
        result = json.loads(found.read_text())
        if (result["workload"].get("task_seconds") is not None) == small:
            return found, result
    return None, None


def as_text(render: Callable[[T, Console], None], data: T) -> str:
    """What the command printed for this report, as plain text."""
    console = Console(record=True, width=WIDTH, file=io.StringIO(), color_system=None)
    render(data, console)
    return console.export_text().rstrip()


def section(title: str, text: str, image: str = "", lead: list[str] | None = None) -> list[str]:
    """A page section: its title, a few lines, the command's own output verbatim, its chart."""
    lines = ["", f"## {title}", ""]
    if lead:
        lines += [*lead, ""]
    lines += ["```", text, "```"]
    return lines + (["", image] if image else [])


def sweep_section(
    reports: Path, docs: Path, kind: str, title: str, image: str
) -> tuple[sweep_rows.SweepResult | None, list[str], Path | None]:
    """The newest `kind` sweep report (make sweep's, or its data axis's), its chart drawn again into docs/
    (the chart's code as it is now) and its section; nothing if there is none."""
    found = newest(reports, f"{kind}-*.json")
    if not found:
        return None, [], None
    sweep = sweep_rows.load(json.loads(found.read_text()))
    sweep_chart.sweep_chart(sweep, docs / f"{kind}.png")
    lead = [f"- {sentence}" for sentence in sweep_render.sentences(sweep)]
    return sweep, section(title, as_text(sweep_render.render, sweep), image, lead), found


# The results page's sections, in order (services.tools.results.parts): each from its own report.
PAGE_KINDS = ("sweep", "data-axis", "compare", "compare-small", "loadtest", "idle", "bench")


def build(reports: Path, docs: Path, readme: Path) -> list[str]:
    """Write docs/RESULTS.md and the README block from the newest reports; the reports used. A section or
    part whose kind has no report in `reports` is kept as the page or the README has it."""
    # The CPU's model name: psutil has counts and frequencies, not the name, so /proc/cpuinfo's line.
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    source = f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()} on the host"
    made: dict[str, list[str]] = {}
    used: dict[str, Path | None] = {}
    sweep, made["sweep"], used["sweep"] = sweep_section(
        reports,
        docs,
        "sweep",
        "`make sweep`: how small a task can get before each approach falls behind the Pool",
        "![% of the ceiling against the task duration, per approach](sweep.png)",
    )
    data, made["data-axis"], used["data-axis"] = sweep_section(
        reports,
        docs,
        "data-axis",
        "`make sweep AXIS=data`: what moving bytes costs against shared memory",
        "![% of the ceiling against the bytes per task, per mode](data-axis.png)",
    )
    comparison, result = newest_comparison(reports, small=False)
    if comparison and result:
        typed = rows.load(result)
        chart.comparison_chart(typed, docs / "compare.png")  # drawn again: the chart's code as it is now
        made["compare"] = section(
            "`make compare`: every cell beside its ceiling and stock RQ, in one run",
            as_text(render_comparison, typed),
            "![jobs/s and % of the ceiling per cell](compare.png)",
            compare_summary(result),
        )
        used["compare"] = comparison
    at_small, small = newest_comparison(reports, small=True)
    if at_small and small:
        typed = rows.load(small)
        chart.comparison_chart(typed, docs / "compare-small-tasks.png")
        made["compare-small"] = section(
            f"`make compare TASK={small['workload']['task_seconds']:g}`: every cell at small tasks",
            as_text(render_comparison, typed),
            "![jobs/s and % of the ceiling per cell, small tasks](compare-small-tasks.png)",
            compare_summary(small),
        )
        used["compare-small"] = at_small
    load = newest(reports, "loadtest-2*.json")
    if load:
        report = json.loads(load.read_text())
        shutil.copyfile(Path(report["files"]["png"]), docs / "loadtest.png")
        made["loadtest"] = section(
            "`make load-test`", as_text(loadtest.render, report), "![CPU per container](loadtest.png)"
        )
        used["loadtest"] = load
    idle_file = newest(reports, "idle-*.json")
    idle_result = json.loads(idle_file.read_text()) if idle_file else None
    if idle_file and idle_result:
        made["idle"] = section("`make idle`: the stack at rest", as_text(idle.render, idle_result))
        used["idle"] = idle_file
    bench = newest(reports, "bench-*.json")
    if bench:
        bench_result = json.loads(bench.read_text())
        # Reports from before figure 7 have no durability figure.
        lead = [report_durability.line(bench_result["durability"])] if "durability" in bench_result else None
        made["bench"] = section("`make bench`", as_text(bench_render.render, bench_result), lead=lead)
        used["bench"] = bench
    found = {kind: file for kind, file in used.items() if file is not None}
    if not found:
        return []
    page_file = docs / "RESULTS.md"
    kept = parts.split(page_file.read_text()) if page_file.exists() else {}
    sections = {
        kind: "\n".join([*made[kind], "", f"From `{found[kind].name}`, {source}."]).strip("\n")
        for kind in found
    }
    header = [
        "# Measured results",
        "",
        f"Generated by `make results`: each section from the newest report of its kind in `{reports}/` "
        "(its file and machine below it), or as its last run left it when there is none. Machines differ: "
        "compare ratios within one run, never absolute times across runs. Re-run the commands, then "
        "`make results`.",
        "",
    ]
    page_file.write_text("\n".join([*header, *parts.join(PAGE_KINDS, sections, kept)]).rstrip("\n") + "\n")
    text = readme.read_text()
    if BEGIN in text and END in text:
        start, end = text.index(BEGIN), text.index(END) + len(END)
        block = readme_block(readme_parts(result, idle_result, source, sweep, data, small), kept_parts(text))
        readme.write_text(text[:start] + block + text[end:])
    return [file.name for file in found.values()]
