"""The short summary between the markers in README.md: the sweeps' knees and charts, one table of
`make compare`, one of every approach at its default and at small tasks (approaches.py), the stack at
rest, and where the rest is."""

from typing import Any

from services.tools.results import parts
from services.tools.results.approaches import approaches_table
from services.tools.sweep import render as sweep_render
from services.tools.sweep import rows as sweep_rows

BEGIN, END = "<!-- results:begin (make results) -->", "<!-- results:end -->"


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
    ]


# The README block's parts, in order (services.tools.results.parts): each from its own reports.
README_KINDS = ("sweep", "data-axis", "compare", "approaches", "idle")
MORE = "Every figure, its spread and where the cores went: [docs/RESULTS.md](docs/RESULTS.md)."


def readme_parts(
    result: dict[str, Any] | None,
    idle_result: dict[str, Any] | None,
    source: str,
    sweep: sweep_rows.SweepResult | None = None,
    data: sweep_rows.SweepResult | None = None,
    small: dict[str, Any] | None = None,
) -> dict[str, str]:
    """The README block's parts that these reports make, by kind."""
    made: dict[str, list[str]] = {}
    if sweep:
        made["sweep"] = sweep_lead(sweep, source)
    if data:
        made["data-axis"] = data_lead(data, source)
    if result:
        lines = [
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
        made["compare"] = lines
    if result and small:
        made["approaches"] = approaches_table(result, small)
    if idle_result:
        made["idle"] = [
            f"At rest the whole stack used {idle_result['containers_percent_of_core']:.2f} % of one core "
            f"in its containers, and the Docker engine {idle_result['engine_percent_of_core']:.2f} % "
            "(`make idle`)."
        ]
    return {kind: "\n".join(lines).strip("\n") for kind, lines in made.items()}


def readme_block(made: dict[str, str], kept: dict[str, str] | None = None) -> str:
    """The short summary the README carries: the sweeps' knees and charts, one table, where the rest is.
    Each part is `made` from reports (readme_parts), or else `kept` (the block's parts as the README has
    them)."""
    return "\n".join([BEGIN, *parts.join(README_KINDS, made, kept or {}), MORE, END])


def kept_parts(readme_text: str) -> dict[str, str]:
    """The parts of the block in a README's text, by kind (none if it has no block)."""
    if BEGIN not in readme_text or END not in readme_text:
        return {}
    inside = readme_text[readme_text.index(BEGIN) + len(BEGIN) : readme_text.index(END)]
    return parts.split(inside.replace(MORE, ""))
