"""`python -m services.tools.results`: the measured results page, regenerated from reports/.

Figures are never copied by hand: this renders the newest report of each kind (make sweep, its data
axis, make compare, make load-test, make idle, make bench) with the very tables those commands print,
into docs/RESULTS.md, copies their charts into docs/, and rewrites the short summary between the
markers in README.md.
"""

import argparse
import io
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from services.tools.bench import render as bench_render
from services.tools.bench import report_durability
from services.tools.loadtest import __main__ as loadtest
from services.tools.loadtest import chart
from services.tools.loadtest.compare import rows
from services.tools.loadtest.compare.render import render as render_comparison
from services.tools.monitor import idle
from services.tools.sweep import chart as sweep_chart
from services.tools.sweep import render as sweep_render
from services.tools.sweep import rows as sweep_rows

REPO = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- results:begin (make results) -->", "<!-- results:end -->"
WIDTH = 160
T = TypeVar("T")


def newest(reports: Path, pattern: str) -> Path | None:
    """The newest report matching `pattern` (names carry their time, so the last in order)."""
    found = sorted(reports.glob(pattern))
    return found[-1] if found else None


def as_text(render: Callable[[T, Console], None], data: T) -> str:
    """What the command printed for this report, as plain text."""
    console = Console(record=True, width=WIDTH, file=io.StringIO(), color_system=None)
    render(data, console)
    return console.export_text().rstrip()


def _pct(value: float) -> str:
    return f"{100 * value:.0f} %"


def compare_summary(result: dict[str, Any]) -> list[str]:
    """The comparison in a few sentences, every figure from this run."""
    cells = result["cells"]
    ours = [c for c in cells if c["worker_class"] != "simple" and not c["note"]]
    peer = next((c for c in cells if c["worker_class"] == "simple"), None)

    def best(mode: str) -> dict[str, Any] | None:
        found = [c for c in ours if c["mode"] == mode and c["of_ceiling"]]
        return max(found, key=lambda c: c["of_ceiling"]["median"]) if found else None

    def name(c: dict[str, Any]) -> str:
        return f"{c['topology']} {c['mode']} ({c['layout']})"

    ceiling = result["ceiling"]
    lines = [
        f"- **Ceiling**: the same jobs on a bare `multiprocessing.Pool({result['budget']})` in the worker "
        f"image under `--cpus {result['budget']}` ran at {ceiling['jobs_per_second']['median']:.2f} jobs/s, "
        f"{_pct(ceiling['efficiency']['median'])} of one process's speed times {result['budget']}.",
    ]
    for mode in ("local", "distributed", "hybrid"):
        top = best(mode)
        if top:
            spread = top["of_ceiling"]
            lines.append(
                f"- **Best {mode}**: {name(top)}, {_pct(spread['median'])} of the ceiling "
                f"({100 * spread['min']:.0f}–{_pct(spread['max'])} over {spread['n']} rounds)."
            )
    if peer and peer["of_ceiling"]:
        lines.append(
            f"- **Stock RQ** (`SimpleWorker`, {peer['layout'].split(', stock')[0]}, the same chunks): "
            f"{_pct(peer['of_ceiling']['median'])} of the ceiling."
        )
    for r in result.get("runtimes", []):  # reports from before these rows have none
        if r["of_ceiling"]:
            lines.append(
                f"- **{r['label']}** (`{r['layout'].split(',')[0]}` in one container, no queue, the same "
                f"tasks): {_pct(r['of_ceiling']['median'])} of the ceiling, {r['cores']['median']:.1f} "
                f"cores busy; {r['note']}."
            )
    for p in result.get("peers", []):  # reports from before these rows, or without PEERS, have none
        if p["of_ceiling"]:
            lines.append(
                f"- **{p['label']}** on {p['topology']} (`{p['layout']}`, containers of its own image, our "
                f"distributed chunks): {_pct(p['of_ceiling']['median'])} of the ceiling, "
                f"{p['cores']['median']:.1f} cores busy; {p['note']}."
            )
    counter = next((c for c in cells if c["note"].startswith("counter")), None)
    if counter and counter["of_ceiling"]:
        lines.append(
            f"- **Counter-example**: {name(counter)} with one consumer, "
            f"{_pct(counter['of_ceiling']['median'])}: one process takes one chunk at a time."
        )
    return lines


def section(title: str, text: str, image: str = "", lead: list[str] | None = None) -> list[str]:
    """A page section: its title, a few lines, the command's own output verbatim, its chart."""
    lines = ["", f"## {title}", ""]
    if lead:
        lines += [*lead, ""]
    lines += ["```", text, "```"]
    return lines + (["", image] if image else [])


def throttled(cell: dict[str, Any]) -> str:
    """The workers' throttled periods in a cell, median %; `no quota` for pinned cells, `-` if unmeasured."""
    if cell.get("pinned"):
        return "no quota"
    share = cell.get("throttled_share")
    return "-" if share is None else f"{100 * share['median']:.1f} % of periods"


def sweep_lead(sweep: sweep_rows.SweepResult, source: str) -> list[str]:
    """The sweep in the README: what ran, each approach's knee in a sentence, the chart."""
    return [
        f"`make sweep` on {source} ({sweep.title}): the smallest task at which each approach still "
        f"reaches {100 * sweep.threshold:.0f} % of a bare Pool on the same cores and the same tasks:",
        "",
        *(f"- {sentence}" for sentence in sweep_render.sentences(sweep)),
        "",
        "![% of the ceiling against the task duration, per approach](docs/sweep.png)",
        "",
    ]


def data_lead(data: sweep_rows.SweepResult, source: str) -> list[str]:
    """The data axis in the README: what ran, where moving bytes makes each mode lose, the chart."""
    return [
        f"`make sweep AXIS=data` on {source} ({data.title}): `bytes` jobs from CPU-heavy to I/O-heavy, "
        "each mode against a bare Pool over the data already in one container's shared memory:",
        "",
        *(f"- {sentence}" for sentence in sweep_render.sentences(data)),
        "",
        "![% of the ceiling against the bytes per task, per mode](docs/data-axis.png)",
        "",
    ]


def readme_block(
    result: dict[str, Any] | None,
    idle_result: dict[str, Any] | None,
    source: str,
    sweep: sweep_rows.SweepResult | None = None,
    data: sweep_rows.SweepResult | None = None,
) -> str:
    """The short summary the README carries: the sweeps' knees and charts, one table, where the rest is."""
    lines = [BEGIN]
    if sweep:
        lines += sweep_lead(sweep, source)
    if data:
        lines += data_lead(data, source)
    if result:
        lines += [
            f"`make compare` on {source} ({result['title']}; median over the rounds):",
            "",
            "| cell | workers | mode | jobs/s | % of ceiling | workers throttled |",
            "|---|---|---|---|---|---|",
            f"| ceiling | bare Pool({result['budget']}) | - | "
            f"{result['ceiling']['jobs_per_second']['median']:.2f} | 100 | |",
        ]
        for r in result.get("runtimes", []):
            lines.append(
                f"| {r['label']} | {r['layout'].split(',')[0]} | - | {r['jobs_per_second']['median']:.2f} "
                f"| {100 * r['of_ceiling']['median']:.0f} | |"
            )
        for c in result["cells"]:
            label = c["topology"] + (f" ({c['note']})" if c["note"] else "")
            lines.append(
                f"| {label} | {c['layout']} | {c['mode']} | {c['jobs_per_second']['median']:.2f} "
                f"| {100 * c['of_ceiling']['median']:.0f} | {throttled(c)} |"
            )
        for p in result.get("peers", []):
            lines.append(
                f"| {p['topology']} ({p['label']}) | {p['layout']} | distributed "
                f"| {p['jobs_per_second']['median']:.2f} | {100 * p['of_ceiling']['median']:.0f} "
                f"| {throttled(p)} |"
            )
        lines.append("")
    if idle_result:
        lines.append(
            f"At rest the whole stack used {idle_result['containers_percent_of_core']:.2f} % of one core "
            f"in its containers, and the Docker engine {idle_result['engine_percent_of_core']:.2f} % "
            "(`make idle`)."
        )
        lines.append("")
    lines += ["Every figure, its spread and where the cores went: [docs/RESULTS.md](docs/RESULTS.md).", END]
    return "\n".join(lines)


def build(reports: Path, docs: Path, readme: Path) -> list[str]:
    """Write docs/RESULTS.md and the README block from the newest reports; the sections written."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    source = f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()} on the host"
    page = [
        "# Measured results",
        "",
        f"Generated by `make results` from the newest reports in `{reports}/` on "
        f"{time.strftime('%Y-%m-%d')}, {source}. Machines differ: compare ratios within one run, "
        "never absolute times across runs. Re-run the commands, then `make results`.",
    ]
    written = []
    sweep_file = newest(reports, "sweep-*.json")
    sweep = sweep_rows.load(json.loads(sweep_file.read_text())) if sweep_file else None
    if sweep:
        sweep_chart.sweep_chart(sweep, docs / "sweep.png")  # drawn again: the chart's code as it is now
        page += section(
            "`make sweep`: how small a task can get before each approach falls behind the Pool",
            as_text(sweep_render.render, sweep),
            "![% of the ceiling against the task duration, per approach](sweep.png)",
            [f"- {sentence}" for sentence in sweep_render.sentences(sweep)],
        )
        written.append(sweep_file.name)
    data_file = newest(reports, "data-axis-*.json")
    data = sweep_rows.load(json.loads(data_file.read_text())) if data_file else None
    if data:
        sweep_chart.sweep_chart(data, docs / "data-axis.png")
        page += section(
            "`make sweep AXIS=data`: what moving bytes costs against shared memory",
            as_text(sweep_render.render, data),
            "![% of the ceiling against the bytes per task, per mode](data-axis.png)",
            [f"- {sentence}" for sentence in sweep_render.sentences(data)],
        )
        written.append(data_file.name)
    comparison = newest(reports, "comparison-*.json")
    result = json.loads(comparison.read_text()) if comparison else None
    if result:
        typed = rows.load(result)
        chart.comparison_chart(typed, docs / "compare.png")  # drawn again: the chart's code as it is now
        page += section(
            "`make compare`: every cell beside its ceiling and stock RQ, in one run",
            as_text(render_comparison, typed),
            "![jobs/s and % of the ceiling per cell](compare.png)",
            compare_summary(result),
        )
        written.append(comparison.name)
    load = newest(reports, "loadtest-2*.json")
    if load:
        report = json.loads(load.read_text())
        shutil.copyfile(Path(report["files"]["png"]), docs / "loadtest.png")
        page += section(
            "`make load-test`", as_text(loadtest.render, report), "![CPU per container](loadtest.png)"
        )
        written.append(load.name)
    idle_file = newest(reports, "idle-*.json")
    idle_result = json.loads(idle_file.read_text()) if idle_file else None
    if idle_result:
        page += section("`make idle`: the stack at rest", as_text(idle.render, idle_result))
        written.append(idle_file.name)
    bench = newest(reports, "bench-*.json")
    if bench:
        bench_result = json.loads(bench.read_text())
        # Reports from before figure 7 have no durability figure.
        lead = [report_durability.line(bench_result["durability"])] if "durability" in bench_result else None
        page += section("`make bench`", as_text(bench_render.render, bench_result), lead=lead)
        written.append(bench.name)
    (docs / "RESULTS.md").write_text("\n".join(page) + "\n")
    text = readme.read_text()
    if BEGIN in text and END in text:
        start, end = text.index(BEGIN), text.index(END) + len(END)
        readme.write_text(text[:start] + readme_block(result, idle_result, source, sweep, data) + text[end:])
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.tools.results", description=__doc__)
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--docs", type=Path, default=REPO / "docs")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    args = parser.parse_args(argv)
    written = build(args.reports, args.docs, args.readme)
    if not written:
        print(f"no report in {args.reports}/: run make sweep, compare, load-test, idle or bench first")
        return 1
    print(f"{args.docs / 'RESULTS.md'} and {args.readme} from {', '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
